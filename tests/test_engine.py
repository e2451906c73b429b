"""The engine end to end on the built models: analysis, retrieval, generation, cancellation."""

from __future__ import annotations

import threading

import pytest

from assist.engine import Engine
from assist.events import (
    AnalysisReady,
    Event,
    GenerationChunk,
    GenerationDone,
    GenerationFailed,
    SuggestionsReady,
)
from assist.grounding import find_invented
from assist.types import Message


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


def customer(cid: str, text: str) -> Message:
    return Message(cid, "customer", text)


def test_a_customer_message_is_analysed_with_entities(engine: Engine) -> None:
    event = engine.add_message(customer("e1", "Where is my order ORD-58213?"))
    assert isinstance(event, AnalysisReady)
    analysis = event.analysis
    assert analysis.intent.label == "track_order"
    assert [(e.type, e.value) for e in analysis.entities if e.type == "order_id"] == [
        ("order_id", "ORD-58213")
    ]
    assert engine.conversation("e1").slots.value("order_id") == "ORD-58213"  # carried on
    angry = engine.add_message(customer("e1", "This is ridiculous, I am really annoyed."))
    assert angry is not None and angry.analysis.sentiment.label == "negative"
    trend = engine.conversation("e1").trend
    assert trend is not None and trend < 0


def test_macros_come_first_then_a_grounded_generated_reply(engine: Engine) -> None:
    engine.warm_up()
    engine.add_message(customer("e2", "I returned my shoes last week, when will I get my refund?"))
    events: list[Event] = list(engine.suggest(engine.conversation("e2"), 3))
    ready = events[0]
    assert isinstance(ready, SuggestionsReady)
    assert len(ready.suggestions) == 2 and all(s.source == "macro" for s in ready.suggestions)
    assert any(isinstance(e, GenerationChunk) for e in events)
    done = events[-1]
    assert isinstance(done, GenerationDone), events[-1]
    assert done.suggestion.source == "generated" and done.suggestion.text
    # the warm-up cached the system prompt and shop profile: only the rest was prefilled
    assert engine.generator is not None and engine.generator.last_stats.reused_tokens > 0
    sources = [
        "I returned my shoes last week, when will I get my refund?",
        *(s.text for s in ready.suggestions),
        *engine.profile.facts().values(),
    ]
    assert find_invented(done.suggestion.text, sources) == []


def test_a_newer_message_cancels_the_stale_generation(engine: Engine) -> None:
    engine.add_message(customer("e3", "Can I change the delivery address of my order?"))
    cancel = threading.Event()
    events: list[Event] = []
    for event in engine.suggest(engine.conversation("e3"), 3, cancel=cancel):
        events.append(event)
        if isinstance(event, GenerationChunk):
            cancel.set()  # what the app does when the customer writes again
    chunks = [e for e in events if isinstance(e, GenerationChunk)]
    assert len(chunks) == 1
    last = events[-1]
    assert isinstance(last, GenerationFailed) and last.cancelled

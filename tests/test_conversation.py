"""Conversation state: trend, direction, slots carried across turns, escalation signal."""

from __future__ import annotations

import numpy as np

from assist.conversation import Conversation
from assist.types import Analysis, Entity, IntentResult, Message, SentimentResult


def analysis(
    text: str, intent: str, score: float, entities: tuple[Entity, ...] = (), confidence: float = 0.9
) -> Analysis:
    label = "negative" if score < -0.3 else "positive" if score > 0.3 else "neutral"
    return Analysis(
        text,
        IntentResult(intent, confidence, ((intent, confidence),)),
        SentimentResult(label, score),
        entities,
        np.ones(4, dtype=np.float32) * score,
    )


def customer(
    conv: Conversation, text: str, intent: str, score: float, entities: tuple[Entity, ...] = ()
) -> None:
    conv.add(
        Message(conv.conversation_id, "customer", text), analysis(text, intent, score, entities)
    )


def test_trend_is_an_exponential_moving_average() -> None:
    conv = Conversation("c", trend_alpha=0.5)
    for score in (0.0, -1.0, -1.0):
        customer(conv, "x", "track_order", score)
    assert conv.trend_history == [0.0, -0.5, -0.75]
    assert conv.trend_direction() == "falling"


def test_agent_turns_do_not_move_the_trend() -> None:
    conv = Conversation("c")
    customer(conv, "hello", "track_order", 0.5)
    conv.add(Message("c", "agent", "I am so sorry, this is terrible"))
    assert conv.trend == 0.5 and len(conv.turns) == 2
    assert conv.last_customer is not None and conv.last_customer.index == 0


def test_slots_carry_across_turns_latest_wins() -> None:
    conv = Conversation("c")
    customer(conv, "order 111", "track_order", 0.0, (Entity("order_id", "111", 6, 9),))
    customer(conv, "thanks", "review", 0.5)
    assert conv.slots.as_placeholder_values().get("order_id") == "111"
    customer(conv, "sorry, it is 222", "track_order", 0.0, (Entity("order_id", "222", 13, 16),))
    assert conv.slots.as_placeholder_values().get("order_id") == "222"


def test_escalation_reasons() -> None:
    calm = Conversation("calm")
    customer(calm, "where is my parcel", "track_order", 0.1)
    assert calm.escalation() is None

    angry = Conversation("angry", trend_alpha=0.6, trend_threshold=-0.35)
    customer(angry, "this is awful", "complaint", -0.8)
    customer(angry, "get me a manager", "contact_human_agent", -0.9)
    esc = angry.escalation()
    assert esc is not None and esc.message_index == 1
    assert any("negative sentiment trend" in r for r in esc.reasons)
    assert any("contact_human_agent" in r for r in esc.reasons)

    lost = Conversation("lost")
    customer(lost, "weather?", "other", 0.0)
    customer(lost, "football?", "other", 0.0)
    esc = lost.escalation()
    assert esc is not None and any("other" in r for r in esc.reasons)


def test_recent_embeddings_exclude_the_current_turn() -> None:
    conv = Conversation("c")
    assert conv.recent_embeddings() is None
    for score in (0.1, 0.2, 0.3, 0.4, 0.5):
        customer(conv, "x", "track_order", score)
    recent = conv.recent_embeddings(k=3)
    assert recent is not None
    assert recent.shape == (3, 4)
    assert np.allclose(recent[:, 0], [0.2, 0.3, 0.4])

"""Writing one draft: stream it from the first model that manages, check it, fill it.

Why apart from the engine: this is the part with the most ways to end (a model that breaks, a
server that fails or goes silent, a cancel, a reply cut at ``max_tokens``) and its order of
events is a contract with every listener: GenerationStarted, chunks, then GenerationDone or
GenerationFailed. With a server and the local model, a server that fails (or is slow: the
client's first-words and silence limits) is followed by a second GenerationStarted from the
local model, which the listeners take as "start over"; the reason travels with it.

The chunks are the raw reply; the final text is checked (``assist.grounding`` for invented
facts, then ``assist.safety`` for promises no macro makes, obeyed customer instructions and
abuse), so GenerationDone's text replaces them, and a draft the checks withhold ends in
GenerationFailed with the reason ("draft withheld: ...").
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Generator as EventStream
from collections.abc import Iterator
from dataclasses import dataclass

from assist import grounding, placeholders, safety
from assist.conversation import Conversation
from assist.events import (
    Event,
    GenerationChunk,
    GenerationDone,
    GenerationFailed,
    GenerationStarted,
)
from assist.language import language_name
from assist.profile import CompanyProfile
from assist.prompt import SYSTEM_PROMPT, ReplyFilter, whole_sentences
from assist.remote.errors import RemoteError
from assist.runtime.generator import ReplyModel, SamplingParams
from assist.types import Suggestion, SuggestionSource

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DraftRequest:
    """What one draft is written from, and what its checks compare it with."""

    conv: Conversation
    message_index: int  # the customer message it answers
    messages: list[dict[str, str]]  # the prompt
    params: SamplingParams
    macros: list[str]  # the answers the prompt shows, macros or a past reply (facts it may use)
    retrieved: list[Suggestion]  # their citations go with the draft
    profile: CompanyProfile
    language: str = "en"  # the customer's (``assist.language``): a server is asked to use it

    def messages_for(self, source: SuggestionSource) -> list[dict[str, str]]:
        """The prompt for one model: a server (a bigger, multilingual model) is asked to reply
        in the customer's language; the local model is English-only, so it is not."""
        if source != "remote" or self.language == "en":
            return self.messages
        name = language_name(self.language)
        system = dict(self.messages[0])
        system["content"] += f" The customer writes in {name}: reply in {name}."
        return [system, *self.messages[1:]]


def write_draft(
    chain: list[tuple[SuggestionSource, ReplyModel]],
    draft: DraftRequest,
    cancel: threading.Event | None,
) -> Iterator[Event]:
    """The draft's events, trying the models of ``chain`` in order."""
    cid, idx = draft.conv.conversation_id, draft.message_index
    fallback: str | None = None
    for n, (source, model) in enumerate(chain, start=1):
        yield GenerationStarted(cid, idx, source, fallback)
        start = time.perf_counter()
        try:
            streamed = yield from _stream_reply(model, draft, cancel, source)
        except RemoteError as e:
            if e.kind == "cancelled":
                break
            log.warning("remote draft failed: %s", e)
            if n < len(chain):
                fallback = f"server failed ({e.message}); the local model answered"
                continue
            yield GenerationFailed(cid, idx, f"remote draft failed: {e.message}")
            return
        except Exception as e:  # a broken model must not take the retrieval results down
            yield GenerationFailed(cid, idx, f"generation failed: {e}")
            return
        break
    if cancel is not None and cancel.is_set():
        yield GenerationFailed(
            cid, idx, "cancelled: a newer customer message arrived", cancelled=True
        )
        return
    text, stopped, first = streamed
    end = time.perf_counter()
    facts = list(draft.profile.facts().values())
    sources = [t.message.text for t in draft.conv.turns] + draft.macros + facts
    stats = model.last_stats
    if not stopped and stats.generated_tokens >= draft.params.max_tokens:
        text = whole_sentences(text)  # cut off by max_tokens: drop the broken sentence
    text = grounding.repair(text, sources)
    # promises, obeyed instructions, abuse: only the company's own texts may promise
    allowed = [*draft.macros, *(s.text for s in draft.retrieved), *facts]
    turns = draft.conv.turns[: idx + 1]
    customer = [t.message.text for t in turns if t.message.role == "customer"]
    checked = safety.check(text, allowed, customer, SYSTEM_PROMPT)
    if checked.findings:
        log.info("draft %s/%s %s", cid, idx, checked.note())
    if checked.withheld is not None:
        yield GenerationFailed(cid, idx, checked.withheld)
        return
    filled = placeholders.fill(checked.text, draft.conv.slots, draft.profile)
    suggestion = Suggestion(
        filled.text,
        source,
        None,
        tuple(c for s in draft.retrieved for c in s.citations),
        unfilled=tuple(filled.unfilled),
    )
    first_ms = ((first or end) - start) * 1000
    rate = (stats.generated_tokens - 1) / stats.decode_s if stats.decode_s > 0 else 0.0
    redacted = sum(getattr(stats, "redacted", {}).values())
    yield GenerationDone(cid, idx, suggestion, first_ms, rate, fallback, redacted)


def _stream_reply(
    model: ReplyModel,
    draft: DraftRequest,
    cancel: threading.Event | None,
    source: SuggestionSource,
) -> EventStream[Event, None, tuple[str, bool, float | None]]:
    """Chunk events of one model's reply; returns (text, ended by itself, first chunk
    time). Raises what the model raises."""
    cid, idx = draft.conv.conversation_id, draft.message_index
    first = None
    chunks: list[str] = []
    reply = ReplyFilter()  # drops what is not the agent's reply (echoed prompt structure)
    stream = model.stream(draft.messages_for(source), draft.params, cancel)
    try:
        for token_text in stream:
            if first is None:
                first = time.perf_counter()
            if chunk := reply.feed(token_text):
                chunks.append(chunk)
                yield GenerationChunk(cid, idx, chunk)
            if reply.stopped:
                break
    finally:
        stream.close()  # stops decoding at once when the reply ended early
    if not (cancel is not None and cancel.is_set()) and (tail := reply.finish()):
        chunks.append(tail)
        yield GenerationChunk(cid, idx, tail)
    return "".join(chunks).strip(), reply.stopped, first

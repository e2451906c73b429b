"""The agent's desk: every open conversation as the app (and the ingestion API) shows it.

Why a layer over the engine: the engine knows turns and analyses; an agent's screen also needs
who the customer is, how long they have waited for a reply, which chats need attention first
and what was last suggested. ``Desk`` lives with the engine on the inference worker (it calls
the models); what it hands out are immutable snapshots that any thread may read, so the UI
never touches the engine's live objects.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from assist.conversation import Conversation
from assist.engine import Engine
from assist.events import Event, GenerationDone, SuggestionsReady
from assist.flags import Flag, FlagConfig, FlagTracker
from assist.types import Analysis, Message, Suggestion


@dataclass(frozen=True)
class TurnView:
    index: int
    message: Message
    analysis: Analysis | None


@dataclass(frozen=True)
class ConversationSnapshot:
    """One conversation at one moment: enough to draw its row, transcript and assist panel."""

    conversation_id: str
    customer_name: str
    turns: tuple[TurnView, ...]
    trend: float | None
    trend_history: tuple[float, ...]
    direction: str  # rising / falling / steady
    slots: tuple[tuple[str, str], ...]  # entity type -> latest customer-given value
    escalation: tuple[str, ...]  # reasons a supervisor would care about (empty: none)
    waiting_since: datetime | None  # oldest customer message the agent has not answered
    # what the flag rules (assist.flags) raise, as of the snapshot's making (long_wait included)
    flags: tuple[Flag, ...] = ()

    @property
    def last_analysis(self) -> Analysis | None:
        for turn in reversed(self.turns):
            if turn.analysis is not None:
                return turn.analysis
        return None

    @property
    def last_customer_index(self) -> int | None:
        for turn in reversed(self.turns):
            if turn.message.role == "customer":
                return turn.index
        return None

    def waiting_s(self, now: datetime | None = None) -> float:
        if self.waiting_since is None:
            return 0.0
        now = now or datetime.now(UTC)
        return max(0.0, (now - _aware(self.waiting_since)).total_seconds())

    def urgency(self, now: datetime | None = None) -> float:
        """Higher first: a falling mood, an escalation and a high-severity flag weigh like
        minutes of waiting."""
        score = self.waiting_s(now) / 60.0
        if self.trend is not None and self.trend < 0:
            score += -self.trend * 10.0
        if self.escalation:
            score += 5.0
        if any(f.severity == "high" for f in self.flags):
            score += 5.0
        return score

    @property
    def attention(self) -> tuple[str, ...]:
        """What the agent is shown beside the flag marker: the raised flags' reasons, in the
        order raised (each once), else the engine's escalation reasons."""
        reasons = dict.fromkeys(f.reason.replace("_", " ") for f in self.flags)
        return tuple(reasons) or self.escalation


def by_urgency(
    snapshots: list[ConversationSnapshot], now: datetime | None = None
) -> list[ConversationSnapshot]:
    """Conversations in the order an agent should look at them (ties: newest activity)."""
    now = now or datetime.now(UTC)
    return sorted(snapshots, key=lambda s: (-s.urgency(now), s.conversation_id))


def _aware(ts: datetime) -> datetime:
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=UTC)


def snapshot(
    conv: Conversation,
    customer_name: str,
    tracker: FlagTracker | None = None,
    flag_config: FlagConfig | None = None,
) -> ConversationSnapshot:
    """``tracker`` carries the flag rules' state between snapshots of one conversation (the
    desk keeps one per chat); without one the rules read the whole conversation."""
    waiting: datetime | None = None
    for turn in conv.turns:
        if turn.message.role == "agent":
            waiting = None
        elif waiting is None:
            waiting = turn.message.ts or datetime.now(UTC)
    esc = conv.escalation()
    return ConversationSnapshot(
        conversation_id=conv.conversation_id,
        customer_name=customer_name,
        turns=tuple(TurnView(t.index, t.message, t.analysis) for t in conv.turns),
        trend=conv.trend,
        trend_history=tuple(conv.trend_history),
        direction=conv.trend_direction(),
        slots=tuple((k, v.value) for k, v in conv.slots.items()),
        escalation=esc.reasons if esc else (),
        waiting_since=waiting,
        flags=(tracker or FlagTracker()).evaluate(conv, flag_config),
    )


class Desk:
    """The engine plus per-conversation names and last suggestions; used on one worker thread
    (the snapshots and ``latest`` may be read from any thread)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._names: dict[str, str] = {}
        self._lock = threading.Lock()
        self._latest: dict[str, tuple[int, tuple[Suggestion, ...]]] = {}
        self._flags: dict[str, FlagTracker] = {}  # per conversation: re-flags one turn a time

    def receive(self, message: Message, customer_name: str | None = None) -> ConversationSnapshot:
        """Record (and, for a customer, analyse) one message; agent messages are replies."""
        if customer_name:
            self._names[message.conversation_id] = customer_name
        self.engine.add_message(message)
        return self.snapshot(message.conversation_id)

    def snapshot(self, conversation_id: str) -> ConversationSnapshot:
        conv = self.engine.conversation(conversation_id)
        with self._lock:
            tracker = self._flags.setdefault(conversation_id, FlagTracker())
        config = FlagConfig.from_settings(
            self.engine.settings, self.engine.profile.facts().values()
        )
        return snapshot(conv, self._names.get(conversation_id, "Customer"), tracker, config)

    def suggest(
        self,
        conversation_id: str,
        cancel: threading.Event | None = None,
        generate: bool = True,
        seed: int | None = None,
    ) -> Iterator[Event]:
        """The engine's suggestion events for the last customer message: retrieval, then the
        draft when ``generate`` (the final list is remembered for ``latest``)."""
        yield self.retrieve(conversation_id)
        if generate:
            yield from self.draft(conversation_id, cancel, seed)

    def retrieve(self, conversation_id: str) -> SuggestionsReady:
        """The ranked macros and answers at once (leaving the draft's place when drafts
        are on); quick enough to run between the tokens of another chat's draft."""
        conv = self.engine.conversation(conversation_id)
        last = conv.last_customer
        index = last.index if last is not None else -1
        start = time.perf_counter()
        found = self.engine.retrieve(conv, self.engine.retrieval_count()) if last else []
        self._remember(conversation_id, index, found)
        ms = (time.perf_counter() - start) * 1000
        return SuggestionsReady(conversation_id, index, tuple(found), ms)

    def draft(
        self, conversation_id: str, cancel: threading.Event | None = None, seed: int | None = None
    ) -> Iterator[Event]:
        """The generated draft's events; once done it joins the remembered list (second)."""
        conv = self.engine.conversation(conversation_id)
        index = conv.last_customer.index if conv.last_customer else -1
        for event in self.engine.draft(conv, cancel, seed):
            if isinstance(event, GenerationDone):
                latest = self.latest(conversation_id)
                found = list(latest[1]) if latest and latest[0] == index else []
                found.insert(min(1, len(found)), event.suggestion)
                self._remember(conversation_id, index, found)
            yield event

    def _remember(self, conversation_id: str, index: int, found: list[Suggestion]) -> None:
        with self._lock:
            self._latest[conversation_id] = (index, tuple(found))

    def latest(self, conversation_id: str) -> tuple[int, tuple[Suggestion, ...]] | None:
        with self._lock:
            return self._latest.get(conversation_id)

    def payload(self, conversation_id: str) -> dict:
        """What ``GET /v1/conversations/{id}/suggestions`` returns: analysis + suggestions."""
        snap = self.snapshot(conversation_id)
        latest = self.latest(conversation_id)
        analysis = snap.last_analysis
        return {
            "conversation_id": conversation_id,
            "message_index": latest[0] if latest else snap.last_customer_index,
            "analysis": analysis.to_json() if analysis else None,
            "trend": round(snap.trend, 4) if snap.trend is not None else None,
            "escalation": list(snap.escalation),
            "suggestions": [s.to_json() for s in latest[1]] if latest else [],
        }

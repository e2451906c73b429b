"""One conversation's live state: turns, per-message analysis, sentiment trend, slots, escalation.

The trend is an exponentially weighted moving average of the customer's sentiment scores, so one
grumpy word doesn't flip it but a run of negative turns does; a score the model can't be trusted
on (a message not in English) stays out of it. The escalation signal collects the
reasons a supervisor would care about; later the flag rules turn it into stored flags.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from assist.language import language_name
from assist.slots import Slots
from assist.types import Analysis, Message

ESCALATION_INTENTS = frozenset({"complaint", "contact_human_agent"})
TREND_ARROWS = {"rising": "↑", "falling": "↓", "steady": "→"}  # for ``trend_direction()``


@dataclass(frozen=True)
class Turn:
    index: int
    message: Message
    analysis: Analysis | None  # customer turns only


@dataclass(frozen=True)
class Escalation:
    reasons: tuple[str, ...]
    message_index: int


@dataclass
class Conversation:
    conversation_id: str
    trend_alpha: float = 0.4
    trend_threshold: float = -0.35
    low_confidence_run: int = 2
    turns: list[Turn] = field(default_factory=list)
    slots: Slots = field(default_factory=Slots)
    trend: float | None = None
    trend_history: list[float] = field(default_factory=list)

    def add(self, message: Message, analysis: Analysis | None = None) -> Turn:
        turn = Turn(len(self.turns), message, analysis)
        self.turns.append(turn)
        if analysis is not None:
            self.slots.update(analysis.entities, turn.index, message.role)
        if analysis is not None and analysis.sentiment.reason is None:  # a trusted score
            score = analysis.sentiment.score
            a = self.trend_alpha
            self.trend = score if self.trend is None else a * score + (1 - a) * self.trend
            self.trend_history.append(self.trend)
        return turn

    @property
    def customer_turns(self) -> list[Turn]:
        return [t for t in self.turns if t.message.role == "customer"]

    @property
    def last_customer(self) -> Turn | None:
        for turn in reversed(self.turns):
            if turn.message.role == "customer":
                return turn
        return None

    def recent_embeddings(self, k: int = 3) -> np.ndarray | None:
        """Embeddings of up to ``k`` customer turns before the last one (context for ranking)."""
        analysed = [t.analysis for t in self.customer_turns if t.analysis is not None]
        previous = analysed[:-1][-k:]
        if not previous:
            return None
        return np.stack([a.embedding for a in previous])

    def trend_direction(self, window: int = 3) -> str:
        """'rising', 'falling' or 'steady' over the last ``window`` trend points."""
        hist = self.trend_history[-window:]
        if len(hist) < 2:
            return "steady"
        delta = hist[-1] - hist[0]
        return "rising" if delta > 0.15 else "falling" if delta < -0.15 else "steady"

    def escalation(self) -> Escalation | None:
        """Why this conversation may need a human above the agent, as of the last customer turn."""
        last = self.last_customer
        if last is None or last.analysis is None:
            return None
        reasons = []
        if self.trend is not None and self.trend <= self.trend_threshold:
            reasons.append(f"negative sentiment trend ({self.trend:+.2f})")
        if last.analysis.intent.label in ESCALATION_INTENTS:
            reasons.append(f"escalation intent: {last.analysis.intent.label}")
        recent = [t.analysis for t in self.customer_turns[-self.low_confidence_run :]]
        if len(recent) == self.low_confidence_run and all(
            a is not None and a.intent.label == "other" for a in recent
        ):
            langs = {a.language for a in recent if a is not None}
            if len(langs) == 1 and "en" not in langs:  # not unclear: in a language not read
                name = language_name(langs.pop())
                reasons.append(f"the customer writes in {name} (the local models read English)")
            else:
                reasons.append(
                    "the assistant can't tell what the customer needs (repeated 'other')"
                )
        return Escalation(tuple(reasons), last.index) if reasons else None

"""Running the rules over a conversation: all at once (``evaluate``) or as it grows.

Why a tracker: the desk builds a snapshot on every message. ``FlagTracker`` remembers how far
it has read and the rules' state, so each new message costs one step of each rule; it starts
over by itself when the settings change or the conversation is not the one it was reading (a
replaced or shortened transcript). The clock rule (long wait) is asked afresh on every call,
since its answer changes with ``now`` and not with the messages.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import UTC, datetime

from assist.flags.model import ConversationLike, Flag, FlagConfig, Step
from assist.flags.rules import RULES, Detector, Raise, Rule
from assist.settings import Settings
from assist.types import Message

_ORDER = {rule.reason: i for i, rule in enumerate(RULES)}


def _flag(rule: Rule, raised: Raise) -> Flag:
    return Flag(rule.reason, raised.message_index, rule.severity, raised.detail)


def ordered(flags: Iterable[Flag]) -> tuple[Flag, ...]:
    """By message, then in the rule table's order (stable for tests and for the store)."""
    return tuple(sorted(flags, key=lambda f: (f.message_index, _ORDER.get(f.reason, 99))))


class FlagTracker:
    """The rules' state for one conversation; ``evaluate`` may be called from any thread."""

    def __init__(self, config: FlagConfig | None = None) -> None:
        self._lock = threading.Lock()
        self._reset(config or FlagConfig())

    def _reset(self, config: FlagConfig) -> None:
        self.config = config
        self._detectors: list[tuple[Rule, Detector]] = [(r, r.detector(config)) for r in RULES]
        self._raised: list[Flag] = []
        self._seen = 0  # turns read
        self._analysed = 0  # of which analysed, sentiment trusted (their trend: trend_history[i])
        self._last: Message | None = None  # the last turn read, to notice another transcript
        self._trend: float | None = None

    def _same_transcript(self, conversation: ConversationLike) -> bool:
        turns = conversation.turns
        if len(turns) < self._seen:
            return False
        return self._seen == 0 or turns[self._seen - 1].message == self._last

    def evaluate(
        self,
        conversation: ConversationLike,
        config: FlagConfig | None = None,
        now: datetime | None = None,
    ) -> tuple[Flag, ...]:
        """Every flag of ``conversation`` as of ``now`` (default: the current time)."""
        with self._lock:
            config = config or self.config
            if config != self.config or not self._same_transcript(conversation):
                self._reset(config)
            self._read(conversation)
            now = now or datetime.now(UTC)
            clock = [_flag(r, raised) for r, d in self._detectors if (raised := d.at(now))]
            return ordered([*self._raised, *clock]) if clock else tuple(self._raised)

    def _read(self, conversation: ConversationLike) -> None:
        turns, history = conversation.turns, conversation.trend_history
        for turn in turns[self._seen :]:
            # the history has a point per analysis whose sentiment counts (not one the English
            # model can't read: ``SentimentResult.reason``); the trend stays over the others
            if turn.analysis is not None and turn.analysis.sentiment.reason is None:
                if self._analysed < len(history):
                    self._trend = history[self._analysed]
                self._analysed += 1
            step = Step(turn.index, turn.message, turn.analysis, self._trend)
            for rule, detector in self._detectors:
                raised = detector.feed(step)
                if raised is not None:
                    self._raised.append(_flag(rule, raised))
            self._seen += 1
            self._last = turn.message


def evaluate(
    conversation: ConversationLike,
    settings: Settings | FlagConfig | None = None,
    now: datetime | None = None,
) -> list[Flag]:
    """Every flag the rules raise on ``conversation`` (an engine ``Conversation`` or a desk
    snapshot), ordered by message; ``now`` (default: the current time) is for the wait rule."""
    return list(FlagTracker(FlagConfig.from_settings(settings)).evaluate(conversation, now=now))

"""The plain data of the flag rules: a raised flag, the rule settings, what a rule reads.

Why separate from the rules: the store and the UI (and ``assist flags``) pass flags around
without caring how they were raised, so ``Flag`` must not drag the lexicon or the entity
extractors in with it. The protocols let the same rules run over the engine's live
``Conversation`` and over the desk's immutable ``ConversationSnapshot``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol, get_args

from assist.settings import Settings
from assist.types import Analysis, FlagReason, Message

Reason = FlagReason  # declared with the other shared vocabularies, in assist.types
REASONS: tuple[Reason, ...] = get_args(FlagReason)
Severity = Literal["low", "medium", "high"]
SEVERITIES: tuple[Severity, ...] = ("low", "medium", "high")


@dataclass(frozen=True)
class Flag:
    """One reason a supervisor should look at a conversation, raised at one message."""

    reason: Reason
    message_index: int  # index of the message (in the conversation) that raised it
    severity: Severity
    detail: str  # one short sentence saying why; never carries the PII it reports

    def __post_init__(self) -> None:
        if self.reason not in REASONS:
            raise ValueError(f"unknown flag reason {self.reason!r}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown flag severity {self.severity!r}")

    def to_json(self) -> dict[str, Any]:
        return {
            "reason": self.reason,
            "message_index": self.message_index,
            "severity": self.severity,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class FlagConfig:
    """The settings the rules read, taken once from ``Settings`` (equal configs, same flags)."""

    trend_threshold: float = -0.35  # escalation.trend_threshold
    trend_window: int = 3  # flags.trend_window
    unsure_turns: int = 2  # flags.unsure_turns
    wait_minutes: float = 5.0  # flags.wait_minutes
    # the shop's own contact details (company profile facts): a reply may always contain them
    own_contacts: tuple[str, ...] = ()

    @classmethod
    def from_settings(
        cls, settings: Settings | FlagConfig | None = None, own_contacts: Iterable[str] = ()
    ) -> FlagConfig:
        """The rules' view of ``settings`` (declared defaults when None)."""
        if isinstance(settings, FlagConfig):
            return settings
        s = settings if settings is not None else Settings()
        return cls(
            trend_threshold=float(s["escalation.trend_threshold"]),
            trend_window=int(s["flags.trend_window"]),
            unsure_turns=int(s["flags.unsure_turns"]),
            wait_minutes=float(s["flags.wait_minutes"]),
            own_contacts=tuple(own_contacts),
        )


class TurnLike(Protocol):
    """A turn of ``assist.conversation.Conversation`` or of a desk snapshot."""

    @property
    def index(self) -> int: ...
    @property
    def message(self) -> Message: ...
    @property
    def analysis(self) -> Analysis | None: ...


class ConversationLike(Protocol):
    """What the rules need of a conversation: its turns and the trend after each analysis
    whose sentiment counts (``SentimentResult.reason`` is None)."""

    @property
    def turns(self) -> Sequence[TurnLike]: ...
    @property
    def trend_history(self) -> Sequence[float]: ...


@dataclass(frozen=True)
class Step:
    """One turn as a rule sees it: the message, its analysis and the trend right after it."""

    index: int
    message: Message
    analysis: Analysis | None  # customer turns only
    trend: float | None  # the conversation's trend after this turn (None before any analysis)

    @property
    def role(self) -> str:
        return self.message.role

    @property
    def ts(self) -> datetime | None:
        return self.message.ts

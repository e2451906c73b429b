"""What the supervisor pages show, as plain records owned by the UI (no store types).

Why separate records: the pages are written against these, and ``ui.supervisor.data`` turns
the store's rows into them, so a change in the store's API or row layout is fixed there only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class Filters:
    """A queue selection as the filter bar holds it (``end`` inclusive, local days)."""

    reason: str | None = None
    agent: str | None = None
    intent: str | None = None
    status: str | None = None
    start: date | None = None
    end: date | None = None
    text: str = ""


@dataclass(frozen=True)
class Row:
    """One flagged conversation in the queue."""

    conversation_id: str
    customer: str
    agent: str
    intent: str | None
    reasons: tuple[str, ...]
    severity: int | None
    age_s: float | None
    status: str | None
    flagged_at: datetime | None


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    total: int
    offset: int
    has_more: bool


@dataclass(frozen=True)
class Feedback:
    """What the agent did with one suggestion card shown for a customer message."""

    rank: int
    source: str
    text: str
    actions: tuple[str, ...]  # in order: shown, accepted / edited / rejected / ignored
    reason: str | None = None
    edit_distance: int | None = None


@dataclass(frozen=True)
class Line:
    index: int
    role: str
    text: str
    ts: datetime | None
    intent: str | None
    confidence: float | None
    sentiment: str | None
    score: float | None
    feedback: tuple[Feedback, ...] = ()


@dataclass(frozen=True)
class Flag:
    id: str
    reason: str
    severity: int
    message_index: int | None
    status: str
    assignee: str | None
    source: str
    note: str | None
    created_at: datetime | None
    created_by: str | None


@dataclass(frozen=True)
class Note:
    author: str
    text: str
    created_at: datetime | None


@dataclass(frozen=True)
class Audit:
    at: datetime | None
    actor: str
    action: str
    detail: str


@dataclass(frozen=True)
class ReviewData:
    conversation_id: str
    customer: str
    agent: str
    intent: str | None
    status: str | None
    started_at: datetime | None
    lines: list[Line] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    audit: list[Audit] = field(default_factory=list)


@dataclass(frozen=True)
class Figures:
    """One analytics row (``None``: nothing to divide by)."""

    conversations: int
    shown: int
    acceptance: float | None
    edit_rate: float | None
    edit_distance: float | None
    rejections: dict[str, int]
    sentiment_start: float | None
    sentiment_end: float | None
    flags: int
    flags_per_100: float | None
    first_reply_s: float | None


@dataclass(frozen=True)
class Summary:
    start: date
    end: date
    total: Figures
    by_intent: dict[str, Figures]
    by_agent: dict[str, Figures]

"""The review queue: flagged conversations, filtered, searched, sorted and paged.

It reads only the ``conversations`` row's flag columns (kept exact on every write) plus, for the
page shown, the page's flag reasons, so the first page is a single indexed query however many
conversations the team has. Filters on the flag reason and the text search are ``EXISTS``
sub-queries, correlated on the conversation id (both indexed).

Ordering is total (ties broken by the conversation id), so limit/offset pages neither repeat
nor skip a row while the data stands still.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Connection, Select, and_, exists, func, or_, select

from assist.store.schema import (
    FLAG_REASONS,
    FLAG_STATUSES,
    as_utc,
    conversations,
    flags,
    messages,
)

Sort = Literal["severity", "age", "recent"]
SORTS: tuple[str, ...] = ("severity", "age", "recent")
MAX_LIMIT = 500


@dataclass(frozen=True)
class QueueFilter:
    """Which conversations: every field narrows the selection; the defaults select all flagged.

    ``since``/``until`` bound the conversation's start (``until`` exclusive); ``text`` matches
    the customer name or any message text (case-insensitive substring); ``flagged`` True (the
    queue), False (never flagged) or None (all, for exports).
    """

    reasons: tuple[str, ...] = ()
    agent: str | None = None
    intent: str | None = None
    statuses: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None
    flagged: bool | None = True

    def __post_init__(self) -> None:
        for reason in self.reasons:
            if reason not in FLAG_REASONS:
                raise ValueError(f"unknown flag reason {reason!r}")
        for status in self.statuses:
            if status not in FLAG_STATUSES:
                raise ValueError(f"unknown review status {status!r}")


@dataclass(frozen=True)
class QueueItem:
    conversation_id: str
    external_id: str | None
    agent: str
    customer_name: str | None
    intent: str | None
    reasons: tuple[str, ...]
    max_severity: int | None
    flag_count: int
    open_flags: int
    status: str | None  # open (any flag open) / in_review / resolved (all resolved)
    flagged_at: datetime | None
    age_s: float | None  # since the first flag
    started_at: datetime
    last_message_at: datetime | None


@dataclass(frozen=True)
class QueuePage:
    items: list[QueueItem]
    total: int
    limit: int
    offset: int

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.items) < self.total


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def where_clauses(f: QueueFilter) -> list[Any]:
    """The SQL conditions on ``conversations`` for a filter (shared with exports)."""
    c = conversations.c
    out: list[Any] = []
    if f.flagged is True:
        out.append(c.flagged_at.is_not(None))
    elif f.flagged is False:
        out.append(c.flagged_at.is_(None))
    if f.agent is not None:
        out.append(c.agent == f.agent)
    if f.intent is not None:
        out.append(c.intent == f.intent)
    if f.statuses:
        out.append(c.review_status.in_(f.statuses))
    if f.since is not None:
        out.append(c.started_at >= as_utc(f.since))
    if f.until is not None:
        out.append(c.started_at < as_utc(f.until))
    if f.reasons:
        out.append(
            exists().where(and_(flags.c.conversation_id == c.id, flags.c.reason.in_(f.reasons)))
        )
    if f.text:
        pattern = _like(f.text)
        in_messages = exists().where(
            and_(
                messages.c.conversation_id == c.id,
                messages.c.text.ilike(pattern, escape="\\"),
            )
        )
        out.append(or_(c.customer_name.ilike(pattern, escape="\\"), in_messages))
    return out


def selection(f: QueueFilter) -> Select[Any]:
    return select(conversations).where(*where_clauses(f))


def _order(sort: str) -> list[Any]:
    c = conversations.c
    if sort == "severity":  # worst first, then the longest waiting
        return [c.max_severity.desc(), c.flagged_at.asc(), c.id.asc()]
    if sort == "age":  # longest waiting first
        return [c.flagged_at.asc(), c.id.asc()]
    if sort == "recent":
        return [c.flagged_at.desc(), c.id.asc()]
    raise ValueError(f"unknown sort {sort!r}; expected one of: {', '.join(SORTS)}")


def review_queue(
    conn: Connection,
    filters: QueueFilter,
    sort: str = "severity",
    limit: int = 50,
    offset: int = 0,
    now: datetime | None = None,
    count: bool = True,
) -> QueuePage:
    """One page of the queue; ``total`` counts the whole filtered selection (-1 if not asked)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be 1..{MAX_LIMIT}, got {limit}")
    if offset < 0:
        raise ValueError(f"offset must be >= 0, got {offset}")
    clauses = where_clauses(filters)
    query = select(conversations).where(*clauses).order_by(*_order(sort))
    rows = conn.execute(query.limit(limit).offset(offset)).mappings().all()
    total = -1
    if count:
        counted = select(func.count()).select_from(conversations).where(*clauses)
        total = int(conn.execute(counted).scalar_one())
    reasons: dict[str, set[str]] = defaultdict(set)
    if rows:
        ids = [r["id"] for r in rows]
        found = select(flags.c.conversation_id, flags.c.reason).where(
            flags.c.conversation_id.in_(ids)
        )
        for conversation_id, reason in conn.execute(found):
            reasons[conversation_id].add(reason)
    when = now or datetime.now(UTC)
    items = [
        QueueItem(
            conversation_id=r["id"],
            external_id=r["external_id"],
            agent=r["agent"],
            customer_name=r["customer_name"],
            intent=r["intent"],
            reasons=tuple(sorted(reasons.get(r["id"], ()))),
            max_severity=r["max_severity"],
            flag_count=r["flag_count"],
            open_flags=r["open_flag_count"],
            status=r["review_status"],
            flagged_at=r["flagged_at"],
            age_s=(when - r["flagged_at"]).total_seconds() if r["flagged_at"] else None,
            started_at=r["started_at"],
            last_message_at=r["last_message_at"],
        )
        for r in rows
    ]
    return QueuePage(items, total, limit, offset)

"""The store's tables, as SQLAlchemy Core ``Table``s on one ``MetaData``.

Why Core and not the ORM: the store writes one row per call and reads plain rows back, so
mapped classes would add a second copy of ``FeedbackEvent`` without buying anything.

Why these types: the same schema has to run on PostgreSQL later (teams, supervisors), so
everything is portable -- ``String``/``Text``/``Integer``/``DateTime(timezone=True)`` and named
``CHECK`` constraints instead of SQLite affinities or native enums (which would need
``CREATE TYPE`` and ``ALTER TYPE`` dances on PostgreSQL for every new value). Ids are
``BIGINT`` on PostgreSQL but plain ``INTEGER`` on SQLite, where only ``INTEGER PRIMARY KEY``
becomes the auto-incrementing rowid.

Revision 0002 adds the shared team store: ``conversations`` (with denormalised flag and
analysis columns kept exact on write), ``flags``, ``review_notes``, an append-only
``audit_log``, ``team_settings`` and the ``daily_stats`` rollups; rows written by agents' apps
carry a client-made unique id (``uid`` / uuid primary keys) so a re-sync inserts nothing twice.

The vocabularies (actions, reasons, sources, roles) live here because the constraints are built
from them. Migrations never import this module's constants: a revision freezes the values it
created, and adding a value means a new revision.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal, get_args

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)

from assist.types import FlagReason, Role, SuggestionSource

Action = Literal["shown", "accepted", "edited", "rejected", "ignored"]
RejectReason = Literal["wrong_intent", "wrong_facts", "tone", "other"]

ACTIONS: tuple[str, ...] = get_args(Action)
REJECT_REASONS: tuple[str, ...] = get_args(RejectReason)
SOURCES: tuple[str, ...] = get_args(SuggestionSource)
ROLES: tuple[str, ...] = get_args(Role)

# -- the team store (revision 0002) --
FlagSource = Literal["rule", "manual"]
FlagStatus = Literal["open", "in_review", "resolved"]
ConversationStatus = Literal["open", "closed"]

FLAG_REASONS: tuple[str, ...] = get_args(FlagReason)
FLAG_SOURCES: tuple[str, ...] = get_args(FlagSource)
FLAG_STATUSES: tuple[str, ...] = get_args(FlagStatus)
CONVERSATION_STATUSES: tuple[str, ...] = get_args(ConversationStatus)
# severities are small integers so "sort by severity" is a plain ORDER BY
SEVERITIES: dict[str, int] = {"low": 1, "medium": 2, "high": 3}
ROLLUP_DIMS: tuple[str, ...] = ("intent", "agent")

# Deterministic constraint names, so later migrations (and SQLite batch mode, which recreates
# tables) can refer to them by name on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# BIGINT where it matters (PostgreSQL), INTEGER on SQLite so the column aliases the rowid.
Id = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that always comes back timezone-aware in UTC.

    SQLite has no timezone-aware type (SQLAlchemy stores the wall-clock digits and drops the
    offset), so values are converted to UTC before they are written; naive values are taken to
    be UTC already. PostgreSQL gets a real ``timestamptz``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


def as_utc(value: datetime) -> datetime:
    """``value`` as an aware UTC datetime (naive means UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _one_of(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join("'" + value + "'" for value in values)
    return f"{column} IN ({quoted})"


feedback = Table(
    "feedback",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("conversation_id", String(255), nullable=False),
    Column("message_index", Integer, nullable=False),
    Column("suggestion_rank", Integer, nullable=False),
    Column("source", String(16), nullable=False),
    Column("macro_id", String(255), nullable=True),
    Column("suggestion_text", Text, nullable=False),
    Column("action", String(16), nullable=False),
    Column("final_text", Text, nullable=True),
    Column("edit_distance", Integer, nullable=True),
    Column("reason", String(32), nullable=True),
    Column("note", Text, nullable=True),
    Column("intent", String(64), nullable=True),
    Column("agent", String(255), nullable=True),
    Column("uid", String(64), nullable=True),
    CheckConstraint(_one_of("source", SOURCES), name="source"),
    CheckConstraint(_one_of("action", ACTIONS), name="action"),
    CheckConstraint(f"reason IS NULL OR {_one_of('reason', REJECT_REASONS)}", name="reason"),
    CheckConstraint("edit_distance IS NULL OR edit_distance >= 0", name="edit_distance"),
    Index(None, "conversation_id", "message_index"),
    Index(None, "uid", unique=True),
)

messages = Table(
    "messages",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("conversation_id", String(255), nullable=False),
    Column("message_index", Integer, nullable=False),
    Column("role", String(16), nullable=False),
    Column("text", Text, nullable=False),
    Column("ts", UTCDateTime(), nullable=True),
    Column("uid", String(64), nullable=True),
    Column("intent", String(64), nullable=True),
    Column("intent_confidence", Float(), nullable=True),
    Column("sentiment", String(16), nullable=True),
    Column("sentiment_score", Float(), nullable=True),
    CheckConstraint(_one_of("role", ROLES), name="role"),
    Index(None, "conversation_id", "message_index"),
    Index(None, "uid", unique=True),
)

# One row per conversation, written by the agent's app (id: a client-made uuid). The columns
# after ``message_count`` are kept up to date on every write (same transaction) so that the
# review queue and the rollups never have to scan messages or flags.
conversations = Table(
    "conversations",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("external_id", String(255), nullable=True),
    Column("agent", String(255), nullable=False),
    Column("customer_name", String(255), nullable=True),
    Column("status", String(16), nullable=False),
    Column("intent", String(64), nullable=True),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("first_customer_at", UTCDateTime(), nullable=True),
    Column("first_reply_at", UTCDateTime(), nullable=True),
    Column("last_message_at", UTCDateTime(), nullable=True),
    Column("message_count", Integer, nullable=False),
    Column("sentiment_first", Float(), nullable=True),
    Column("sentiment_last", Float(), nullable=True),
    Column("flag_count", Integer, nullable=False),
    Column("open_flag_count", Integer, nullable=False),
    Column("max_severity", Integer, nullable=True),
    Column("review_status", String(16), nullable=True),
    Column("flagged_at", UTCDateTime(), nullable=True),
    Column("updated_at", UTCDateTime(), nullable=False),
    CheckConstraint(_one_of("status", CONVERSATION_STATUSES), name="status"),
    CheckConstraint(
        f"review_status IS NULL OR {_one_of('review_status', FLAG_STATUSES)}",
        name="review_status",
    ),
    Index(None, "agent", "started_at"),
    Index(None, "started_at"),
    Index(None, "flagged_at"),
    Index(None, "review_status", "max_severity"),
)

flags = Table(
    "flags",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("conversation_id", String(64), ForeignKey("conversations.id"), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("message_index", Integer, nullable=True),
    Column("severity", Integer, nullable=False),
    Column("detail", Text, nullable=True),
    Column("source", String(16), nullable=False),
    Column("note", Text, nullable=True),
    Column("status", String(16), nullable=False),
    Column("assignee", String(255), nullable=True),
    Column("created_by", String(255), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    CheckConstraint(_one_of("reason", FLAG_REASONS), name="reason"),
    CheckConstraint(_one_of("source", FLAG_SOURCES), name="source"),
    CheckConstraint(_one_of("status", FLAG_STATUSES), name="status"),
    CheckConstraint("severity BETWEEN 1 AND 3", name="severity"),
    Index(None, "conversation_id"),
    Index(None, "reason", "conversation_id"),
)

review_notes = Table(
    "review_notes",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("conversation_id", String(64), ForeignKey("conversations.id"), nullable=False),
    Column("flag_id", String(64), ForeignKey("flags.id"), nullable=True),
    Column("author", String(255), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index(None, "conversation_id"),
)

# Append-only: the code has no UPDATE or DELETE for it. ``detail`` is a JSON object (as text,
# the same on every backend).
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("actor", String(255), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target_type", String(32), nullable=False),
    Column("target_id", String(255), nullable=False),
    Column("detail", Text, nullable=False),
    Index(None, "target_type", "target_id"),
    Index(None, "at"),
)

# Team-wide values (the supervisor passphrase *hash*, never the passphrase).
team_settings = Table(
    "team_settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_by", String(255), nullable=True),
    Column("updated_at", UTCDateTime(), nullable=False),
)

# Per-day sums, one row per (dim, day, key) with dim "intent" or "agent", kept up to date in
# the transaction of every write (``assist.store.rollup``) so analytics read a few thousand
# rows, never the messages. Floats are sums; means are computed on read.
ROLLUP_COUNTERS: tuple[str, ...] = (
    "conversations",
    "replied",
    "reply_seconds",
    "sentiment_n",
    "sentiment_start",
    "sentiment_end",
    "flags",
    "shown",
    "accepted",
    "edited",
    "rejected",
    "ignored",
    "edit_distance_sum",
    *(f"rejected_{reason}" for reason in REJECT_REASONS),
)
_FLOAT_COUNTERS = {"reply_seconds", "sentiment_start", "sentiment_end"}

daily_stats = Table(
    "daily_stats",
    metadata,
    Column("dim", String(8), primary_key=True),
    Column("day", Date(), primary_key=True),
    Column("key", String(255), primary_key=True),
    *(
        Column(name, Float() if name in _FLOAT_COUNTERS else Integer, nullable=False)
        for name in ROLLUP_COUNTERS
    ),
    CheckConstraint(_one_of("dim", ROLLUP_DIMS), name="dim"),
)

"""The store's tables, as SQLAlchemy Core ``Table``s on one ``MetaData``.

Why Core and not the ORM: the store writes one row per call and reads plain rows back, so
mapped classes would add a second copy of ``FeedbackEvent`` without buying anything.

Why these types: the same schema has to run on PostgreSQL later (teams, supervisors), so
everything is portable -- ``String``/``Text``/``Integer``/``DateTime(timezone=True)`` and named
``CHECK`` constraints instead of SQLite affinities or native enums (which would need
``CREATE TYPE`` and ``ALTER TYPE`` dances on PostgreSQL for every new value). Ids are
``BIGINT`` on PostgreSQL but plain ``INTEGER`` on SQLite, where only ``INTEGER PRIMARY KEY``
becomes the auto-incrementing rowid.

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
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)

from assist.types import Role, SuggestionSource

Action = Literal["shown", "accepted", "edited", "rejected", "ignored"]
RejectReason = Literal["wrong_intent", "wrong_facts", "tone", "other"]

ACTIONS: tuple[str, ...] = get_args(Action)
REJECT_REASONS: tuple[str, ...] = get_args(RejectReason)
SOURCES: tuple[str, ...] = get_args(SuggestionSource)
ROLES: tuple[str, ...] = get_args(Role)

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
    CheckConstraint(_one_of("source", SOURCES), name="source"),
    CheckConstraint(_one_of("action", ACTIONS), name="action"),
    CheckConstraint(f"reason IS NULL OR {_one_of('reason', REJECT_REASONS)}", name="reason"),
    CheckConstraint("edit_distance IS NULL OR edit_distance >= 0", name="edit_distance"),
    Index(None, "conversation_id", "message_index"),
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
    CheckConstraint(_one_of("role", ROLES), name="role"),
    Index(None, "conversation_id", "message_index"),
)

"""What agents' apps write to the team store, as plain validated records.

Every record carries a client-made unique id (a uuid, made when the record is built), so the
same record written twice -- directly, then again from the offline outbox after a cut
connection -- is stored once. Records turn into JSON and back (``to_json``/``from_json``) so
the outbox can keep them in a local SQLite file until the team database is reachable.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, TypeVar

from assist.store.schema import (
    CONVERSATION_STATUSES,
    FLAG_REASONS,
    FLAG_SOURCES,
    ROLES,
    SEVERITIES,
    as_utc,
)

__all__ = ["ConversationRecord", "FlagRecord", "MessageRecord", "new_id", "rule_flag_id"]

_NS = uuid.UUID("6f1d3f0e-8f6a-4c1e-9a51-3c6f0f7f2a11")  # namespace of deterministic flag ids

R = TypeVar("R")


def new_id() -> str:
    """A fresh client-side unique id (uuid4, 36 characters)."""
    return str(uuid.uuid4())


def rule_flag_id(conversation_id: str, reason: str, message_index: int | None) -> str:
    """The id of a rule flag: the same rule firing again on the same message is one flag."""
    return str(uuid.uuid5(_NS, f"{conversation_id}\x1f{reason}\x1f{message_index}"))


def _now() -> datetime:
    return datetime.now(UTC)


def _choice(what: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r}; expected one of: {', '.join(allowed)}")


def _text(what: str, value: object, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} must be a non-empty string, got {value!r}")


def _index(value: object, optional: bool = False) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"message_index must be a non-negative integer, got {value!r}")


def _set(record: object, name: str, value: object) -> None:
    object.__setattr__(record, name, value)


def _json(record: Any) -> dict[str, Any]:
    out = asdict(record)
    for key, value in out.items():
        if isinstance(value, datetime):
            out[key] = value.isoformat()
    return out


def _from_json(cls: type[R], data: dict[str, Any]) -> R:
    kwargs = {}
    for f in fields(cls):  # type: ignore[arg-type]
        if f.name in data:
            value = data[f.name]
            if isinstance(value, str) and f.name.endswith(("_at", "ts")):
                value = datetime.fromisoformat(value)
            kwargs[f.name] = value
    return cls(**kwargs)


@dataclass(frozen=True)
class ConversationRecord:
    """A conversation as the agent's app knows it (re-recording updates these fields)."""

    agent: str
    customer_name: str | None = None
    external_id: str | None = None  # the helpdesk's / app's own chat id
    status: str = "open"
    started_at: datetime = field(default_factory=_now)
    id: str = field(default_factory=new_id)

    def __post_init__(self) -> None:
        _text("conversation id", self.id)
        if not isinstance(self.agent, str):
            raise ValueError(f"agent must be a string, got {self.agent!r}")
        _choice("conversation status", self.status, CONVERSATION_STATUSES)
        _set(self, "started_at", as_utc(self.started_at))

    def to_json(self) -> dict[str, Any]:
        return _json(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ConversationRecord:
        return _from_json(cls, data)


@dataclass(frozen=True)
class MessageRecord:
    """One message with the assistant's analysis of it (all analysis fields optional)."""

    conversation_id: str
    message_index: int
    role: str
    text: str
    ts: datetime = field(default_factory=_now)
    intent: str | None = None
    intent_confidence: float | None = None
    sentiment: str | None = None
    sentiment_score: float | None = None
    uid: str = field(default_factory=new_id)

    def __post_init__(self) -> None:
        _text("conversation_id", self.conversation_id)
        _index(self.message_index)
        _choice("role", self.role, ROLES)
        if not isinstance(self.text, str):
            raise ValueError(f"message text must be a string, got {type(self.text).__name__}")
        _text("uid", self.uid)
        for name in ("intent_confidence", "sentiment_score"):
            value = getattr(self, name)
            if value is not None:
                _set(self, name, float(value))
        _set(self, "ts", as_utc(self.ts))

    def to_json(self) -> dict[str, Any]:
        return _json(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MessageRecord:
        return _from_json(cls, data)


@dataclass(frozen=True)
class FlagRecord:
    """A flag on a conversation: raised by a rule, or by a person (``source="manual"``).

    ``severity`` is 1 (low) .. 3 (high), or the words ``low``/``medium``/``high``. A rule flag
    without an ``id`` gets ``rule_flag_id(...)``, so a rule firing twice is one flag.
    """

    conversation_id: str
    reason: str
    severity: int | str = 2
    message_index: int | None = None
    detail: str | None = None
    source: str = "rule"
    note: str | None = None
    created_by: str | None = None
    created_at: datetime = field(default_factory=_now)
    id: str = ""

    def __post_init__(self) -> None:
        _text("conversation_id", self.conversation_id)
        _choice("flag reason", self.reason, FLAG_REASONS)
        _choice("flag source", self.source, FLAG_SOURCES)
        _index(self.message_index, optional=True)
        raw = self.severity
        severity = SEVERITIES.get(raw, 0) if isinstance(raw, str) else raw
        if severity not in (1, 2, 3) or isinstance(severity, bool):
            raise ValueError(f"severity must be 1..3 or low/medium/high, got {self.severity!r}")
        _set(self, "severity", int(severity))
        _set(self, "created_at", as_utc(self.created_at))
        if not self.id:
            made = (
                rule_flag_id(self.conversation_id, self.reason, self.message_index)
                if self.source == "rule"
                else new_id()
            )
            _set(self, "id", made)

    def to_json(self) -> dict[str, Any]:
        return _json(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FlagRecord:
        return _from_json(cls, data)

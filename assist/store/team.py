"""``TeamStore``: the shared team database every agent's app writes and supervisors read.

SQLite in the profile by default; for a team, PostgreSQL at the ``store.url`` setting, with its
password in the OS keyring (``assist.secrets``, name ``store.password``), never in the settings
file. One short transaction per call, committed before it returns.

* Agent writes (``record_conversation``, ``record_messages``, ``record_feedback``,
  ``raise_flag``) are idempotent on the record's client-made id; ``apply`` runs a list of them
  (the outbox's serialised form) in one transaction.
* Supervisor actions (``flag_manually``, ``set_flag_status``, ``assign_flag``, ``add_note``,
  ``set_supervisor_passphrase``) append to the audit log in the same transaction.
* Reads live in ``queue``, ``review``, ``analytics`` and ``export``; the methods here forward.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from assist import secrets
from assist.store import analytics, export, migrate, passphrase, queue, review, writes
from assist.store.analytics import Summary
from assist.store.feedback import (
    FeedbackEvent,
    StoreError,
    _cause,
    _checked,
    default_url,
    open_engine,
    server_problem,
)
from assist.store.queue import QueueFilter, QueuePage
from assist.store.records import ConversationRecord, FlagRecord, MessageRecord, new_id
from assist.store.review import Review
from assist.store.schema import (
    conversations,
    daily_stats,
    feedback,
    flags,
    messages,
    team_settings,
)

PASSWORD_SECRET = "store.password"
PASSPHRASE_KEY = "supervisor_passphrase"
LABEL = "Team store"

Op = tuple[str, dict[str, Any]]  # ("conversation" | "messages" | "feedback" | "flag", payload)


def resolve_url(url: str | None = None) -> str:
    """The team database URL: ``url``, else the ``store.url`` setting, else the profile's file.

    A PostgreSQL URL from the settings must not carry a password; the keyring's
    ``store.password`` is added to any PostgreSQL URL without one.
    """
    if url is None:
        from assist.settings import Settings

        url = str(Settings.load().get("store.url") or "").strip()
        if url and make_url(url).password is not None:
            raise StoreError(
                "Team store: the store.url setting contains a password; remove it from the "
                "setting and run `assist store set-password` (it is kept in the OS keyring)."
            )
    if not url:
        return default_url()
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql" and parsed.password is None:
        try:
            password = secrets.get_secret(PASSWORD_SECRET)
        except secrets.KeyringUnavailable:
            password = None  # the server may not need one (trust, peer, .pgpass)
        if password:
            parsed = parsed.set(password=password)
    return parsed.render_as_string(hide_password=False)


def _now() -> datetime:
    return datetime.now(UTC)


class TeamStore:
    """The team database. Use ``TeamStore.open()``; safe to share between threads."""

    def __init__(self, engine: Engine, location: str) -> None:
        self._engine = engine
        self._location = location
        self._closed = False

    @classmethod
    def open(cls, url: str | None = None) -> TeamStore:
        """Connect (see ``resolve_url``) and migrate to head; ``StoreError`` if that fails."""
        engine, location = open_engine(resolve_url(url), LABEL)
        return cls(engine, location)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._engine.dispose()

    def __enter__(self) -> TeamStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def engine(self) -> Engine:
        if self._closed:
            raise StoreError(f"{LABEL} {self._location}: the store is closed")
        return self._engine

    @property
    def location(self) -> str:
        return self._location

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._engine.dialect.name

    # -- agent writes (idempotent) ---------------------------------------------------------

    def record_conversation(self, rec: ConversationRecord) -> None:
        """Create or update a conversation (agent, customer, status, start)."""
        self.apply([op_conversation(rec)])

    def record_messages(self, batch: Sequence[MessageRecord]) -> int:
        """Store messages with their analysis; returns how many were new (not seen by uid)."""
        with self._write("record messages") as conn:
            return writes.insert_messages(conn, list(batch), _now())

    def record_message(self, rec: MessageRecord) -> bool:
        return self.record_messages([rec]) == 1

    def record_feedback(self, event: FeedbackEvent) -> FeedbackEvent:
        """Store a feedback event (given a ``uid`` if it has none); returns it as stored."""
        checked = _checked(event if event.uid else replace(event, uid=new_id()))
        with self._write("record feedback") as conn:
            new = writes.insert_feedback(conn, checked.to_row())
            if new is None:
                query = select(feedback.c.id).where(feedback.c.uid == checked.uid)
                new = int(conn.execute(query).scalar_one())
        return replace(checked, id=new)

    def raise_flag(self, rec: FlagRecord) -> bool:
        """Store a flag (a rule's, or a manual one); False if it was stored already."""
        with self._write("raise a flag") as conn:
            return writes.insert_flag(conn, rec, _now())

    def apply(self, ops: Sequence[Op]) -> None:
        """Apply serialised agent writes in order, in one transaction (all or nothing)."""
        with self._write("apply queued writes") as conn:
            apply_ops(conn, ops, _now())

    # -- supervisor actions (audited) ------------------------------------------------------

    def flag_manually(
        self,
        conversation_id: str,
        actor: str,
        note: str,
        severity: int | str = 2,
        message_index: int | None = None,
        reason: str = "manual",
    ) -> FlagRecord:
        """A person flags a conversation, with a note; audited as ``flag.raise``."""
        rec = FlagRecord(
            conversation_id,
            reason,
            severity,
            message_index,
            source="manual",
            note=note,
            created_by=actor,
        )
        if not actor or not actor.strip():
            raise ValueError("a manual flag needs the name of who raised it (actor)")
        with self._write("flag the conversation") as conn:
            writes.insert_flag(conn, rec, _now())
        return rec

    def set_flag_status(self, flag_id: str, status: str, actor: str) -> dict[str, Any]:
        """Move a flag to open / in_review / resolved; audited as ``flag.status``."""
        with self._write("change the flag") as conn:
            return writes.update_flag(conn, flag_id, actor, _now(), status=status)

    def assign_flag(self, flag_id: str, assignee: str | None, actor: str) -> dict[str, Any]:
        """Give a flag to someone (``None``: nobody); audited as ``flag.assign``."""
        with self._write("assign the flag") as conn:
            return writes.update_flag(conn, flag_id, actor, _now(), assignee=assignee)

    def add_note(
        self, conversation_id: str, author: str, text: str, flag_id: str | None = None
    ) -> str:
        """A review note on a conversation (or one of its flags); returns its id."""
        note_id = new_id()
        with self._write("add the note") as conn:
            writes.insert_note(conn, note_id, conversation_id, author, text, _now(), flag_id)
        return note_id

    def set_supervisor_passphrase(self, new: str, actor: str, current: str | None = None) -> None:
        """Set the team's supervisor passphrase (its hash); changing it needs the current one."""
        hashed = passphrase.hash_passphrase(new)
        now = _now()
        with self._write("set the supervisor passphrase") as conn:
            stored = _setting(conn, PASSPHRASE_KEY)
            if stored is not None and not (
                current is not None and passphrase.verify_passphrase(current, stored)
            ):
                raise PermissionError("the current supervisor passphrase is wrong")
            values = {"value": hashed, "updated_by": actor, "updated_at": now}
            if stored is None:
                conn.execute(team_settings.insert().values(key=PASSPHRASE_KEY, **values))
            else:
                where = team_settings.c.key == PASSPHRASE_KEY
                conn.execute(team_settings.update().where(where).values(**values))
            action = "passphrase.change" if stored else "passphrase.set"
            writes.audit(conn, actor, action, "team", PASSPHRASE_KEY, {}, now)

    def has_supervisor_passphrase(self) -> bool:
        with self._read("read team settings") as conn:
            return _setting(conn, PASSPHRASE_KEY) is not None

    def verify_supervisor_passphrase(self, candidate: str) -> bool:
        """Whether ``candidate`` is the team's passphrase (False if none is set)."""
        with self._read("read team settings") as conn:
            stored = _setting(conn, PASSPHRASE_KEY)
        return stored is not None and passphrase.verify_passphrase(candidate, stored)

    def log_action(
        self,
        actor: str,
        action: str,
        target_type: str,
        target_id: str,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Append a supervisor action that changes nothing else (e.g. an export) to the log."""
        with self._write("write the audit log") as conn:
            writes.audit(conn, actor, action, target_type, target_id, detail or {}, _now())

    # -- reads -----------------------------------------------------------------------------

    def queue(self, filters: QueueFilter | None = None, **kw: Any) -> QueuePage:
        """The review queue (see ``assist.store.queue.review_queue``)."""
        with self._read("read the review queue") as conn:
            return queue.review_queue(conn, filters or QueueFilter(), **kw)

    def review(self, conversation_id: str) -> Review:
        """Everything a supervisor sees for one conversation."""
        with self._read("read the conversation") as conn:
            return review.load(conn, conversation_id)

    def analytics(self, start: date, end: date) -> Summary:
        """Totals, per intent and per agent, for the UTC days ``start``..``end`` inclusive."""
        with self._read("read analytics") as conn:
            return analytics.summary(conn, start, end)

    def export(self, out: Any, fmt: str, filters: QueueFilter | None = None) -> int:
        """Write the selection as ``csv`` or ``jsonl`` to a text stream; returns rows written."""
        with self._read("export") as conn:
            return export.write(conn, out, fmt, filters or QueueFilter(flagged=None))

    def stats(self) -> dict[str, Any]:
        """Row counts and the schema revision (for ``assist store stats``)."""
        tables = {
            "conversations": conversations,
            "messages": messages,
            "feedback": feedback,
            "flags": flags,
            "daily_stats": daily_stats,
        }
        with self._read("count rows") as conn:
            out: dict[str, Any] = {
                name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
                for name, t in tables.items()
            }
        out["revision"] = migrate.current_revision(self.engine)
        out["backend"] = self.backend
        out["location"] = self._location
        return out

    # -- plumbing --------------------------------------------------------------------------

    @contextmanager
    def _write(self, doing: str) -> Iterator[Connection]:
        with self._errors(doing), self.engine.connect() as conn:
            conn.execution_options(**migrate.WRITE_TRANSACTION)
            with conn.begin():
                yield conn

    @contextmanager
    def _read(self, doing: str) -> Iterator[Connection]:
        with self._errors(doing), self.engine.connect() as conn:
            yield conn

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        try:
            yield
        except SQLAlchemyError as exc:
            if self._engine.dialect.name == "sqlite":
                raise StoreError(
                    f"{LABEL} {self._location}: could not {doing} ({_cause(exc)}). Check that "
                    "the disk has space and the file is writable; if the file is damaged, "
                    "move it aside and restart Assist."
                ) from exc
            raise StoreError(server_problem(LABEL, self._location, exc, doing)) from exc


def _setting(conn: Connection, key: str) -> str | None:
    query = select(team_settings.c.value).where(team_settings.c.key == key)
    value = conn.execute(query).scalar()
    return None if value is None else str(value)


# -- serialised writes (the outbox's form) ----------------------------------------------------


def op_conversation(rec: ConversationRecord) -> Op:
    return ("conversation", rec.to_json())


def op_messages(batch: Sequence[MessageRecord]) -> Op:
    return ("messages", {"messages": [m.to_json() for m in batch]})


def op_feedback(event: FeedbackEvent) -> Op:
    checked = _checked(event if event.uid else replace(event, uid=new_id()))
    return ("feedback", checked.to_json())


def op_flag(rec: FlagRecord) -> Op:
    return ("flag", rec.to_json())


def apply_ops(conn: Connection, ops: Sequence[Op], now: datetime) -> None:
    for kind, payload in ops:
        if kind == "conversation":
            writes.upsert_conversation(conn, ConversationRecord.from_json(payload), now)
        elif kind == "messages":
            batch = [MessageRecord.from_json(m) for m in payload["messages"]]
            writes.insert_messages(conn, batch, now)
        elif kind == "feedback":
            data = dict(payload)
            data.pop("id", None)
            if data.get("created_at"):
                data["created_at"] = datetime.fromisoformat(data["created_at"])
            event = _checked(FeedbackEvent(**data))
            writes.insert_feedback(conn, event.to_row())
        elif kind == "flag":
            writes.insert_flag(conn, FlagRecord.from_json(payload), now)
        else:
            raise ValueError(f"unknown queued write {kind!r}")

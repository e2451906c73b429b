"""The durable feedback store: every suggestion shown and what the agent did with it.

Why it is built like this:

* **Committed before return.** ``record`` runs one short transaction and returns only after the
  ``COMMIT``; the UI confirms to the agent only after ``record`` returns, so anything the agent
  saw confirmed is on disk. A ``kill -9`` can lose at most the call in flight, which was never
  confirmed.
* **WAL + ``synchronous=FULL``.** In WAL mode a commit is an append to ``assist.db-wal``; with
  ``FULL`` the WAL is fsynced on every commit, so a confirmed event survives not only a killed
  process (``NORMAL`` would already give that) but also an OS crash or power cut, which
  ``NORMAL`` does not promise in WAL mode. Feedback arrives at human speed, so one fsync per
  event costs nothing noticeable. WAL also lets readers (reports, the UI) run while a write is
  in progress.
* **We emit ``BEGIN`` ourselves.** Python's ``sqlite3`` in its legacy mode never opens a
  transaction for DDL, so a migration could be half-applied; we turn that off and send
  ``BEGIN`` (reads) or ``BEGIN IMMEDIATE`` (writes: the write lock is taken up front, so a second
  writer waits ``busy_timeout`` instead of failing with a stale snapshot).
* **SQLAlchemy + Alembic, portable SQL.** The store will grow (conversations, flags,
  supervisors) and move to PostgreSQL for teams; only the SQLite pragmas above are SQLite
  specific, and they are applied only to SQLite URLs.
* **Thread-safe by construction.** One ``Engine`` (a pool of connections, created with
  ``check_same_thread=False``) and one short transaction per call; no connection or cursor is
  shared between calls.
* **Errors a person can act on.** A file that is not a database, a directory in its place, a
  damaged file or one written by a newer Assist raises ``StoreError`` naming the file and what
  to do, never a driver traceback.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic.util import CommandError
from rapidfuzz.distance import Levenshtein
from sqlalchemy import Connection, CursorResult, Engine, create_engine, event, func, insert, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)

from assist.paths import profile_dir
from assist.store import migrate, writes
from assist.store.schema import (
    ACTIONS,
    REJECT_REASONS,
    ROLES,
    SOURCES,
    Action,
    RejectReason,
    as_utc,
    feedback,
    messages,
)
from assist.types import SuggestionSource

__all__ = [
    "REJECT_REASONS",
    "Action",
    "FeedbackEvent",
    "FeedbackStore",
    "RejectReason",
    "StoreError",
    "default_url",
    "edit_distance",
]

DB_FILE = "assist.db"
BUSY_TIMEOUT_S = 10.0  # how long a writer waits for another writer before giving up
# page cache per connection, KiB (SQLite's default is 2 MB): a team file of 2M messages takes
# inserts at random places in its indexes, 1,989 -> ~2,300 messages/s with 32 MB (measured);
# a small profile store never fills it
SQLITE_CACHE_KB = 32_000
CONNECT_TIMEOUT_S = 5  # how long to wait for a database server before calling it unreachable
SQLITE_MAGIC = b"SQLite format 3\x00"

log = logging.getLogger(__name__)


class StoreError(RuntimeError):
    """The store cannot be used; the message names the database and what to do about it."""


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions) from ``a`` to ``b``."""
    return int(Levenshtein.distance(a, b))


def default_url() -> str:
    """The store in the profile dir: ``sqlite:///<profile_dir()>/assist.db``."""
    return f"sqlite:///{profile_dir() / DB_FILE}"


@dataclass(frozen=True)
class FeedbackEvent:
    """One suggestion shown to the agent, or what the agent did with it.

    ``id`` and ``created_at`` are filled in by ``FeedbackStore.record``. For ``edited`` the
    ``final_text`` is what the agent sent and ``edit_distance`` is computed from
    ``suggestion_text`` when not given; ``reason`` is only for ``rejected`` (and optional there).
    """

    conversation_id: str
    message_index: int
    action: Action
    source: SuggestionSource
    suggestion_text: str
    suggestion_rank: int = 0
    macro_id: str | None = None
    final_text: str | None = None
    reason: RejectReason | None = None
    note: str | None = None
    intent: str | None = None
    agent: str | None = None
    edit_distance: int | None = None
    created_at: datetime | None = None
    id: int | None = None
    uid: str | None = None  # client-made unique id (team store: a re-sync stores it once)

    def to_row(self) -> dict[str, Any]:
        """The ``feedback`` table's columns (all but ``id``)."""
        return {name: getattr(self, name) for name in _EVENT_COLUMNS}

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["created_at"] = self.created_at.isoformat() if self.created_at else None
        return out


_EVENT_COLUMNS = tuple(f.name for f in fields(FeedbackEvent) if f.name != "id")


class FeedbackStore:
    """Feedback events and sent messages in one SQL database (SQLite in the profile by default).

    Use ``FeedbackStore.open()``; every method is safe to call from several threads.
    """

    def __init__(self, engine: Engine, location: str) -> None:
        """Wrap an engine that ``open`` has already configured and migrated."""
        self._engine = engine
        self._location = location
        self._closed = False
        self._lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------------------------

    @classmethod
    def open(cls, url: str | None = None) -> FeedbackStore:
        """Open (creating if needed) the store at ``url`` and migrate it to the current schema.

        Raises ``StoreError`` if the file is not a usable Assist database.
        """
        engine, location = open_engine(url if url is not None else default_url())
        return cls(engine, location)

    def close(self) -> None:
        """Close every pooled connection (idempotent); later calls raise ``StoreError``."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._engine.dispose()

    def __enter__(self) -> FeedbackStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def location(self) -> str:
        """The database file (or the URL, password hidden), as error messages name it."""
        return self._location

    @property
    def engine(self) -> Engine:
        """The configured engine (pragmas and BEGIN handling applied), for sibling stores."""
        return self._live_engine()

    # -- writing -----------------------------------------------------------------------------

    def record(self, event: FeedbackEvent) -> FeedbackEvent:
        """Validate and store ``event``; returns it with ``id`` and ``created_at`` once committed.

        Raises ``ValueError`` (nothing written) for an invalid event, ``StoreError`` if the
        database cannot be written.
        """
        checked = _checked(event)
        with self._errors("record feedback"), self._write() as conn:
            new_id = writes.insert_feedback(conn, checked.to_row())
            if new_id is None:  # the uid is stored already: return the stored event
                query = select(feedback.c.id).where(feedback.c.uid == checked.uid)
                new_id = int(conn.execute(query).scalar_one())
        return replace(checked, id=new_id)

    def record_message(
        self,
        conversation_id: str,
        message_index: int,
        role: str,
        text: str,
        ts: datetime | None = None,
    ) -> int:
        """Store one message of a conversation (e.g. the reply the agent sent); returns its id.

        A naive ``ts`` is taken to be UTC.
        """
        _check_conversation(conversation_id, message_index)
        _check_choice("role", role, ROLES)
        if not isinstance(text, str):
            raise ValueError(f"message text must be a string, got {type(text).__name__}")
        row = {
            "created_at": datetime.now(UTC),
            "conversation_id": conversation_id,
            "message_index": message_index,
            "role": role,
            "text": text,
            "ts": ts,
        }
        with self._errors("record the message"), self._write() as conn:
            return _inserted_id(conn.execute(insert(messages).values(row)))

    # -- reading -----------------------------------------------------------------------------

    def events(
        self, conversation_id: str | None = None, action: str | None = None
    ) -> list[FeedbackEvent]:
        """Stored events, oldest first, optionally for one conversation and/or one action."""
        query = select(feedback).order_by(feedback.c.id)
        if conversation_id is not None:
            query = query.where(feedback.c.conversation_id == conversation_id)
        if action is not None:
            _check_choice("action", action, ACTIONS)
            query = query.where(feedback.c.action == action)
        with self._errors("read feedback"), self._read() as conn:
            rows = conn.execute(query).mappings().all()
        return [FeedbackEvent(**row) for row in rows]

    def messages(self, conversation_id: str) -> list[dict[str, Any]]:
        """The stored messages of one conversation, in conversation order."""
        query = (
            select(messages)
            .where(messages.c.conversation_id == conversation_id)
            .order_by(messages.c.message_index, messages.c.id)
        )
        with self._errors("read messages"), self._read() as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

    def counts(self) -> dict[str, int]:
        """How many events of each action are stored (every action present, 0 if none)."""
        query = select(feedback.c.action, func.count()).group_by(feedback.c.action)
        out = dict.fromkeys(ACTIONS, 0)
        with self._errors("count feedback"), self._read() as conn:
            for action, count in conn.execute(query):
                out[action] = int(count)
        return out

    # -- plumbing ----------------------------------------------------------------------------

    def _live_engine(self) -> Engine:
        if self._closed:
            raise StoreError(f"Feedback store {self._location}: the store is closed")
        return self._engine

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction, committed when the block exits without an exception."""
        with self._live_engine().connect() as conn:
            conn.execution_options(**migrate.WRITE_TRANSACTION)
            with conn.begin():
                yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._live_engine().connect() as conn:
            yield conn

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """Turn database failures into a ``StoreError`` naming the database."""
        try:
            yield
        except SQLAlchemyError as exc:
            raise StoreError(
                f"Feedback store {self._location}: could not {doing} ({_cause(exc)}). "
                "Check that the disk has space and the file is writable; if the file is "
                "damaged, move it aside and restart Assist."
            ) from exc


# -- validation -------------------------------------------------------------------------------


def _checked(event: FeedbackEvent) -> FeedbackEvent:
    """``event`` validated, with ``created_at`` (UTC) and ``edit_distance`` filled in."""
    if not isinstance(event, FeedbackEvent):
        raise TypeError(f"expected a FeedbackEvent, got {type(event).__name__}")
    if event.id is not None:
        raise ValueError(f"feedback event {event.id} is already recorded")
    _check_conversation(event.conversation_id, event.message_index)
    _check_choice("action", event.action, ACTIONS)
    _check_choice("source", event.source, SOURCES)
    if event.reason is not None:
        _check_choice("reject reason", event.reason, REJECT_REASONS)
        if event.action != "rejected":
            raise ValueError(
                f"a reason is only recorded for action 'rejected', not {event.action!r}"
            )
    if not isinstance(event.suggestion_text, str):
        raise ValueError("suggestion_text must be a string")
    _check_count("suggestion_rank", event.suggestion_rank)
    if event.final_text is not None and not isinstance(event.final_text, str):
        raise ValueError("final_text must be a string or None")
    if event.action == "edited" and event.final_text is None:
        raise ValueError("an 'edited' event needs final_text (the reply the agent sent)")
    distance = event.edit_distance
    if distance is None:
        if event.final_text is not None:
            distance = edit_distance(event.suggestion_text, event.final_text)
    else:
        _check_count("edit_distance", distance)
    created = datetime.now(UTC) if event.created_at is None else as_utc(event.created_at)
    return replace(event, edit_distance=distance, created_at=created)


def _check_choice(what: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r}; expected one of: {', '.join(allowed)}")


def _check_count(what: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{what} must be a non-negative integer, got {value!r}")


def _check_conversation(conversation_id: object, message_index: object) -> None:
    if not isinstance(conversation_id, str) or not conversation_id:
        raise ValueError(f"conversation_id must be a non-empty string, got {conversation_id!r}")
    _check_count("message_index", message_index)


# -- engine and file checks -------------------------------------------------------------------


def open_engine(raw: str, label: str = "Feedback store") -> tuple[Engine, str]:
    """A configured engine for ``raw``, migrated to head, and the location errors name.

    ``postgresql://`` URLs use the psycopg (3) driver. Raises ``StoreError`` (nothing changed)
    for a bad URL, a file that is not an Assist database, a schema from a newer Assist, an
    unreachable server or a refused login.
    """
    try:
        parsed = make_url(raw)
    except ArgumentError as exc:
        raise StoreError(f"{label} {raw!r}: not a database URL ({exc})") from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    location = _location(parsed)
    path = _sqlite_file(parsed)
    if path is not None:
        _check_file(path)
    try:
        engine = _create_engine(parsed)
    except (ArgumentError, ImportError) as exc:
        raise StoreError(f"{label} {location}: cannot use this database ({exc})") from exc
    try:
        migrate.upgrade(engine)
        if path is not None:
            _warn_unless_wal(engine, location)
    except migrate.SchemaTooNewError as exc:
        engine.dispose()
        raise StoreError(
            f"{label} {location}: written by a newer version of Assist ({exc}). "
            "Upgrade Assist, or move the file aside to start a new, empty store."
        ) from exc
    except (SQLAlchemyError, CommandError, OSError) as exc:
        engine.dispose()
        if path is None and parsed.get_backend_name() == "postgresql":
            raise StoreError(server_problem(label, location, exc)) from exc
        raise StoreError(
            f"{label} {location}: cannot be opened as an Assist database "
            f"({_cause(exc)}). If it is damaged or not an Assist database, move it aside "
            "(e.g. rename it to assist.db.broken); a new, empty store is created next time."
        ) from exc
    return engine, location


def server_problem(label: str, location: str, exc: BaseException, doing: str = "") -> str:
    """A message a person can act on for a database server that refused or could not be reached."""
    cause = " ".join(_cause(exc).split())  # the driver's message spans lines
    low = cause.lower()
    if doing:
        location = f"{location}: could not {doing}"
    if "password authentication failed" in low or "no password supplied" in low:
        return (
            f"{label} {location}: the server refused the login ({cause}). Set the right "
            "password in the OS keyring with `assist store set-password`."
        )
    if "does not exist" in low:
        return f"{label} {location}: {cause}. Ask your administrator to create it."
    if isinstance(exc, OperationalError | InterfaceError) or "connect" in low:
        return (
            f"{label} {location}: cannot reach the database server ({cause}). Check the "
            "network and the store.url setting; nothing is lost, writes wait in the local "
            "outbox until the server is back."
        )
    return f"{label} {location}: the database refused the operation ({cause})."


def _sqlite_file(url: URL) -> Path | None:
    """The database file of a SQLite URL (``None`` for in-memory or other backends)."""
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def _location(url: URL) -> str:
    path = _sqlite_file(url)
    return str(path) if path is not None else url.render_as_string(hide_password=True)


def _check_file(path: Path) -> None:
    """Refuse, before SQLite touches it, a path that cannot be our database file."""
    if path.is_dir():
        raise StoreError(
            f"Feedback store {path}: is a directory, not a database file. Move it aside "
            "(or remove it if it is empty); a new store is created in its place."
        )
    if path.exists():
        if not path.is_file():
            raise StoreError(f"Feedback store {path}: is not a regular file. Move it aside.")
        try:
            with path.open("rb") as fh:
                head = fh.read(len(SQLITE_MAGIC))
        except OSError as exc:
            raise StoreError(f"Feedback store {path}: cannot be read ({exc}).") from exc
        if head and head != SQLITE_MAGIC:
            raise StoreError(
                f"Feedback store {path}: is not a SQLite database (wrong file header). Move it "
                "aside (e.g. rename it to assist.db.broken); a new, empty store is created."
            )
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"Feedback store {path}: cannot create its folder ({exc}).") from exc


def _create_engine(url: URL) -> Engine:
    if url.get_backend_name() != "sqlite":
        connect_args = {"connect_timeout": CONNECT_TIMEOUT_S} if "psycopg" in url.drivername else {}
        return create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_S}
    )
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, connection_record: Any) -> None:
    """Per-connection pragmas; also hand ``BEGIN`` over to ``_sqlite_on_begin``."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KB}")
    finally:
        cursor.close()


def _sqlite_on_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get("assist_begin", "DEFERRED")
    if mode not in ("DEFERRED", "IMMEDIATE"):
        raise ValueError(f"unknown SQLite transaction mode {mode!r}")
    conn.exec_driver_sql(f"BEGIN {mode}")


def _warn_unless_wal(engine: Engine, location: str) -> None:
    """WAL can be refused (e.g. some network file systems); durability holds, concurrency not."""
    with engine.connect() as conn:
        mode = str(conn.exec_driver_sql("PRAGMA journal_mode").scalar()).lower()
    if mode != "wal":
        log.warning(
            "Feedback store %s: SQLite would not switch to WAL (journal_mode=%s); "
            "writes stay durable but readers will wait for writers",
            location,
            mode,
        )


def _inserted_id(result: CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    if key is None or key[0] is None:  # cannot happen for a single-row INSERT; be explicit
        raise RuntimeError("the database did not report the id of the inserted row")
    return int(key[0])


def _cause(exc: BaseException) -> str:
    """The driver's own message, without SQLAlchemy's statement dump."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        return str(exc.orig)
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__

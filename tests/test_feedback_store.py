"""The feedback store: real SQLite files, real migrations, and a real ``kill -9``."""

from __future__ import annotations

import os
import queue
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from assist.store import (
    REJECT_REASONS,
    FeedbackEvent,
    FeedbackStore,
    StoreError,
    current_revision,
    default_url,
    edit_distance,
    head_revision,
    upgrade,
)
from assist.store.migrate import offline_sql
from assist.store.schema import ACTIONS, metadata

ROOT = Path(__file__).resolve().parent.parent


def url_for(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "assist.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[FeedbackStore]:
    s = FeedbackStore.open(url_for(db_path))
    yield s
    s.close()


def event(action: str = "shown", **kw: object) -> FeedbackEvent:
    """A valid event (a macro shown to agent sam), with ``kw`` overriding any field."""
    base: dict[str, object] = {
        "conversation_id": "conv-1",
        "message_index": 2,
        "action": action,
        "source": "macro",
        "suggestion_text": "Your order ships tomorrow.",
        "suggestion_rank": 1,
        "macro_id": "shipping-eta",
        "intent": "order_status",
        "agent": "sam",
    }
    base.update(kw)
    return FeedbackEvent(**base)  # type: ignore[arg-type]


def sqlite_pragma(path: Path, pragma: str) -> object:
    with sqlite3.connect(path) as conn:
        return conn.execute(f"PRAGMA {pragma}").fetchone()[0]


# -- round trips -----------------------------------------------------------------------------

AN_EVENT_PER_ACTION = {
    "shown": event("shown"),
    "accepted": event("accepted", source="generated", macro_id=None),
    "edited": event("edited", final_text="Your order ships on Monday.", note="date was wrong"),
    "rejected": event("rejected", reason="wrong_facts", source="remote"),
    "ignored": event("ignored", suggestion_rank=0),
}


def test_every_action_is_covered() -> None:
    assert set(AN_EVENT_PER_ACTION) == set(ACTIONS)


@pytest.mark.parametrize("action", sorted(AN_EVENT_PER_ACTION))
def test_record_then_read_back_each_action(store: FeedbackStore, action: str) -> None:
    original = AN_EVENT_PER_ACTION[action]
    before = datetime.now(UTC)
    saved = store.record(original)

    assert saved.id is not None and saved.id > 0
    assert saved.created_at is not None and saved.created_at.tzinfo is not None
    assert before <= saved.created_at <= datetime.now(UTC)
    assert store.events() == [saved]
    assert store.counts() == {a: int(a == action) for a in ACTIONS}
    # everything the caller gave is kept verbatim
    for name in ("conversation_id", "message_index", "action", "source", "suggestion_text"):
        assert getattr(saved, name) == getattr(original, name)
    assert (saved.macro_id, saved.reason, saved.note) == (
        original.macro_id,
        original.reason,
        original.note,
    )


def test_round_trip_survives_reopening(db_path: Path) -> None:
    with FeedbackStore.open(url_for(db_path)) as first:
        saved = [first.record(e) for e in AN_EVENT_PER_ACTION.values()]
    with FeedbackStore.open(url_for(db_path)) as second:
        assert second.events() == saved
        assert [e.id for e in saved] == sorted(e.id for e in saved if e.id is not None)


def test_created_at_given_is_stored_in_utc(store: FeedbackStore) -> None:
    local = datetime(2024, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    saved = store.record(event(created_at=local))
    [read] = store.events()
    assert read.created_at == local
    assert read.created_at is not None and read.created_at.utcoffset() == timedelta(0)
    assert read.created_at.hour == 10
    assert saved == read


# -- edit distance and reasons ---------------------------------------------------------------


def test_edit_distance_known_pairs() -> None:
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3
    assert edit_distance("same", "same") == 0


def test_edited_event_gets_its_edit_distance(store: FeedbackStore) -> None:
    saved = store.record(event("edited", suggestion_text="kitten", final_text="sitting"))
    assert saved.edit_distance == 3
    assert store.events(action="edited")[0].edit_distance == 3
    assert store.events()[0].final_text == "sitting"


def test_edited_event_keeps_a_given_distance(store: FeedbackStore) -> None:
    saved = store.record(event("edited", final_text="x", edit_distance=7))
    assert saved.edit_distance == 7


def test_edited_event_needs_final_text(store: FeedbackStore) -> None:
    with pytest.raises(ValueError, match="final_text"):
        store.record(event("edited"))
    assert store.events() == []


@pytest.mark.parametrize("reason", [*REJECT_REASONS, None])
def test_reject_stores_the_reason(store: FeedbackStore, reason: str | None) -> None:
    store.record(event("rejected", reason=reason))
    [read] = store.events(action="rejected")
    assert read.reason == reason


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"action": "clicked"}, r"unknown action 'clicked'; expected one of: shown, accepted"),
        ({"action": "rejected", "reason": "rude"}, r"unknown reject reason 'rude'"),
        ({"action": "accepted", "reason": "tone"}, r"only recorded for action 'rejected'"),
        ({"source": "llm"}, r"unknown source 'llm'; expected one of: macro, generated, remote"),
        ({"conversation_id": ""}, r"conversation_id must be a non-empty string"),
        ({"message_index": -1}, r"message_index must be a non-negative integer"),
        ({"action": "edited", "final_text": "x", "edit_distance": -2}, r"edit_distance must"),
        ({"id": 5}, r"already recorded"),
    ],
)
def test_invalid_event_is_refused_and_nothing_is_written(
    store: FeedbackStore, db_path: Path, bad: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        store.record(event(**bad))  # type: ignore[arg-type]
    assert store.events() == []
    assert set(store.counts().values()) == {0}
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM feedback").fetchone()[0] == 0


def test_the_database_itself_refuses_unknown_values(store: FeedbackStore, db_path: Path) -> None:
    """CHECK constraints back the Python validation up for anything writing the file directly."""
    row = "('2024-01-01', 'c', 0, 0, 'macro', 't', 'clicked')"
    with sqlite3.connect(db_path) as conn, pytest.raises(sqlite3.IntegrityError, match="action"):
        conn.execute(
            "INSERT INTO feedback (created_at, conversation_id, message_index, suggestion_rank,"
            f" source, suggestion_text, action) VALUES {row}"
        )


def test_events_filter_and_counts(store: FeedbackStore) -> None:
    store.record(event("shown", conversation_id="a"))
    store.record(event("accepted", conversation_id="a"))
    store.record(event("shown", conversation_id="b"))
    assert [e.action for e in store.events("a")] == ["shown", "accepted"]
    assert [e.conversation_id for e in store.events(action="shown")] == ["a", "b"]
    assert store.events("b", "accepted") == []
    assert store.counts() == {"shown": 2, "accepted": 1, "edited": 0, "rejected": 0, "ignored": 0}
    with pytest.raises(ValueError, match="unknown action"):
        store.events(action="nope")


# -- messages --------------------------------------------------------------------------------


def test_messages_round_trip_in_conversation_order(store: FeedbackStore) -> None:
    at = datetime(2024, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=-5)))
    second = store.record_message("c", 1, "agent", "Sure, let me check.", ts=at)
    first = store.record_message("c", 0, "customer", "Where is my order?")
    store.record_message("other", 0, "customer", "hi")

    rows = store.messages("c")
    assert [r["id"] for r in rows] == [first, second]
    assert [(r["message_index"], r["role"], r["text"]) for r in rows] == [
        (0, "customer", "Where is my order?"),
        (1, "agent", "Sure, let me check."),
    ]
    assert rows[0]["ts"] is None
    assert rows[1]["ts"] == at and rows[1]["ts"].utcoffset() == timedelta(0)
    assert rows[1]["created_at"].tzinfo is not None
    assert store.messages("nobody") == []


def test_naive_message_time_is_taken_as_utc(store: FeedbackStore) -> None:
    store.record_message("c", 0, "customer", "hi", ts=datetime(2024, 3, 1, 9, 30))
    assert store.messages("c")[0]["ts"] == datetime(2024, 3, 1, 9, 30, tzinfo=UTC)


def test_bad_message_role_is_refused(store: FeedbackStore) -> None:
    with pytest.raises(ValueError, match="unknown role 'bot'; expected one of: customer, agent"):
        store.record_message("c", 0, "bot", "hi")
    assert store.messages("c") == []


# -- migrations ------------------------------------------------------------------------------


def test_migrating_an_empty_database_creates_the_tables(db_path: Path) -> None:
    engine = sqlalchemy.create_engine(url_for(db_path))
    try:
        assert current_revision(engine) is None
        assert upgrade(engine) == head_revision()
        assert current_revision(engine) == head_revision()
        inspector = sqlalchemy.inspect(engine)
        assert {"feedback", "messages", "alembic_version"} <= set(inspector.get_table_names())
        assert {c["name"] for c in inspector.get_columns("feedback")} == {
            "id", "created_at", "conversation_id", "message_index", "suggestion_rank", "source",
            "macro_id", "suggestion_text", "action", "final_text", "edit_distance", "reason",
            "note", "intent", "agent", "uid",
        }  # fmt: skip
        assert {c["name"] for c in inspector.get_columns("messages")} == {
            "id", "created_at", "conversation_id", "message_index", "role", "text", "ts",
            "uid", "intent", "intent_confidence", "sentiment", "sentiment_score",
        }  # fmt: skip
        for table in ("feedback", "messages"):
            indexed = [ix["column_names"][0] for ix in inspector.get_indexes(table)]
            assert "conversation_id" in indexed
        nullable = {c["name"]: c["nullable"] for c in inspector.get_columns("feedback")}
        assert nullable["macro_id"] and nullable["reason"] and not nullable["action"]
    finally:
        engine.dispose()


def test_migrations_match_the_table_definitions(store: FeedbackStore) -> None:
    """The revision and ``schema.py`` describe the same tables (no drift between them)."""
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_reopening_is_idempotent(db_path: Path) -> None:
    with FeedbackStore.open(url_for(db_path)) as first:
        saved = first.record(event())
        revision = current_revision(first.engine)
    for _ in range(2):
        with FeedbackStore.open(url_for(db_path)) as again:
            assert current_revision(again.engine) == revision == head_revision()
            assert again.events() == [saved]
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM alembic_version").fetchone()[0] == 1


def test_a_failed_migration_leaves_nothing_half_done(db_path: Path) -> None:
    """DDL runs in one transaction: a clash on the second table undoes the first."""
    with sqlite3.connect(db_path) as conn:
        conn.execute("CREATE TABLE messages (x INTEGER)")
    with pytest.raises(StoreError, match="already exists") as info:
        FeedbackStore.open(url_for(db_path))
    assert str(db_path) in str(info.value)
    with sqlite3.connect(db_path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {"messages"}


def test_migrations_render_for_postgresql() -> None:
    sql = offline_sql("postgresql://user:secret@db.example/assist")
    assert "CREATE TABLE feedback" in sql and "CREATE TABLE messages" in sql
    assert "BIGSERIAL" in sql and "TIMESTAMP WITH TIME ZONE" in sql
    assert "CREATE INDEX ix_feedback_conversation_id_message_index" in sql


# -- SQLite settings -------------------------------------------------------------------------


def test_wal_and_full_sync_are_on(store: FeedbackStore, db_path: Path) -> None:
    store.record(event())
    assert sqlite_pragma(db_path, "journal_mode") == "wal"  # persistent, seen by any reader
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000


def test_default_url_is_in_the_profile_dir(isolated_profile: Path) -> None:
    assert default_url() == f"sqlite:///{isolated_profile / 'assist.db'}"
    with FeedbackStore.open() as s:
        s.record(event())
        assert s.location == str(isolated_profile / "assist.db")
    assert (isolated_profile / "assist.db").is_file()


def test_concurrent_writers_from_threads(store: FeedbackStore) -> None:
    threads, per_thread = 8, 25
    ids: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def work(n: int) -> None:
        try:
            start.wait(timeout=30)
            for i in range(per_thread):
                saved = store.record(event(conversation_id=f"t{n}", message_index=i))
                assert saved.id is not None
                with lock:
                    ids.append(saved.id)
        except BaseException as exc:  # surfaced below, not lost in the thread
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    assert not any(w.is_alive() for w in workers)
    assert errors == []
    assert len(set(ids)) == threads * per_thread
    assert sorted(e.id or 0 for e in store.events()) == sorted(ids)
    assert [e.message_index for e in store.events("t3")] == list(range(per_thread))


# -- broken files ----------------------------------------------------------------------------


def test_garbage_file_is_a_store_error_naming_it(db_path: Path) -> None:
    garbage = os.urandom(4096)
    db_path.write_bytes(garbage)
    with pytest.raises(StoreError, match="not a SQLite database.*Move it aside") as info:
        FeedbackStore.open(url_for(db_path))
    assert str(db_path) in str(info.value)
    assert db_path.read_bytes() == garbage  # the user's file is left exactly as it was


def test_damaged_database_is_a_store_error_naming_it(db_path: Path) -> None:
    with FeedbackStore.open(url_for(db_path)) as s:
        s.record(event())
    data = db_path.read_bytes()
    db_path.write_bytes(data[:100] + b"\xa5" * (len(data) - 100))  # header kept, pages smashed
    with pytest.raises(StoreError, match="malformed") as info:
        FeedbackStore.open(url_for(db_path))
    assert str(db_path) in str(info.value)


def test_file_with_a_sqlite_header_but_no_database_is_a_store_error(db_path: Path) -> None:
    db_path.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 16)
    with pytest.raises(StoreError, match="file is not a database.*move it aside") as info:
        FeedbackStore.open(url_for(db_path))
    assert str(db_path) in str(info.value)


def test_directory_in_place_of_the_file_is_a_store_error(db_path: Path) -> None:
    db_path.mkdir()
    with pytest.raises(StoreError, match="is a directory") as info:
        FeedbackStore.open(url_for(db_path))
    assert str(db_path) in str(info.value)


def test_database_from_a_newer_version_is_refused_untouched(db_path: Path) -> None:
    with FeedbackStore.open(url_for(db_path)) as s:
        s.record(event())
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'ffff_from_the_future'")
    with pytest.raises(StoreError, match="newer version of Assist") as info:
        FeedbackStore.open(url_for(db_path))
    message = str(info.value)
    assert str(db_path) in message and "ffff_from_the_future" in message
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [
            ("ffff_from_the_future",)
        ]
        assert conn.execute("SELECT count(*) FROM feedback").fetchone()[0] == 1


def test_closed_store_says_so(db_path: Path) -> None:
    s = FeedbackStore.open(url_for(db_path))
    s.close()
    s.close()  # idempotent
    with pytest.raises(StoreError, match="closed") as info:
        s.record(event())
    assert str(db_path) in str(info.value)


# -- kill -9 ---------------------------------------------------------------------------------

CHILD = textwrap.dedent(
    """
    from assist.store import FeedbackEvent, FeedbackStore

    store = FeedbackStore.open()
    i = 0
    while True:
        saved = store.record(
            FeedbackEvent(
                f"conv-{i % 5}", i, "edited", "generated", "Hello, how can I help?",
                final_text=f"Hello {i}, how can I help you today?",
            )
        )
        print("f", saved.id, flush=True)
        message_id = store.record_message(f"conv-{i % 5}", i, "agent", f"reply {i}")
        print("m", message_id, flush=True)
        i += 1
    """
)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")
def test_kill_9_loses_nothing_that_was_confirmed(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {**os.environ, "ASSIST_HOME": str(home), "PYTHONPATH": str(ROOT)}
    stderr_path = tmp_path / "child.stderr"
    wanted = 30
    confirmed: dict[str, list[int]] = {"f": [], "m": []}

    with stderr_path.open("wb") as stderr:
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        lines: queue.Queue[str | None] = queue.Queue()

        def pump() -> None:
            assert child.stdout is not None
            for line in child.stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        try:
            while len(confirmed["f"]) < wanted:
                try:
                    line = lines.get(timeout=60)
                except queue.Empty:
                    pytest.fail("the writer printed nothing for 60 s")
                if line is None:
                    pytest.fail(f"the writer died early:\n{stderr_path.read_text()}")
                kind, value = line.split()
                confirmed[kind].append(int(value))
            os.kill(child.pid, signal.SIGKILL)
            assert child.wait(timeout=30) == -signal.SIGKILL
        finally:
            if child.poll() is None:
                child.kill()
                child.wait(timeout=30)
            if child.stdout is not None:
                child.stdout.close()

    db = home / "assist.db"
    assert (home / "assist.db-wal").exists()  # killed with the WAL still open: recovery is real
    with FeedbackStore.open(url_for(db)) as store:
        stored_events = {e.id for e in store.events()}
        stored_messages = {m["id"] for c in range(5) for m in store.messages(f"conv-{c}")}
        assert set(confirmed["f"]) <= stored_events
        assert set(confirmed["m"]) <= stored_messages
        assert all(e.edit_distance is not None for e in store.events())
    assert sqlite_pragma(db, "integrity_check") == "ok"

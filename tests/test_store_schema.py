"""Migrations (from empty and from 0001) and the errors a person can act on, on both back-ends."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import make_url

from assist import secrets
from assist.settings import Settings
from assist.store import (
    PASSWORD_SECRET,
    FeedbackStore,
    StoreError,
    TeamStore,
    current_revision,
    head_revision,
    resolve_url,
    upgrade,
)
from assist.store.feedback import _create_engine
from assist.store.migrate import WRITE_TRANSACTION, alembic_config
from assist.store.schema import metadata
from tests.pg import PgServer, pg_schema_url, pg_server, store_url  # noqa: F401

TEAM_TABLES = {"conversations", "flags", "review_notes", "audit_log", "team_settings",
               "daily_stats"}  # fmt: skip


def engine_for(url: str) -> sa.Engine:
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return _create_engine(parsed)


def test_head_is_0002() -> None:
    assert head_revision() == "0002"


def test_migrating_from_empty(store_url: str) -> None:  # noqa: F811
    engine = engine_for(store_url)
    try:
        assert current_revision(engine) is None
        assert upgrade(engine) == "0002"
        inspector = sa.inspect(engine)
        assert TEAM_TABLES | {"feedback", "messages"} <= set(inspector.get_table_names())
        columns = {c["name"] for c in inspector.get_columns("messages")}
        assert {"uid", "intent", "intent_confidence", "sentiment", "sentiment_score"} <= columns
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    finally:
        engine.dispose()


def test_migrating_from_0001_keeps_the_data(store_url: str) -> None:  # noqa: F811
    engine = engine_for(store_url)
    try:
        with engine.connect() as conn:
            conn.execution_options(**WRITE_TRANSACTION)
            with conn.begin():
                command.upgrade(alembic_config(conn), "0001")
        assert current_revision(engine) == "0001"
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO messages (created_at, conversation_id, message_index, role, text)"
                    " VALUES (:t, 'old', 0, 'customer', 'from 0001')"
                ),
                {"t": datetime(2024, 1, 1, tzinfo=UTC)},
            )
        assert "conversations" not in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()
    with FeedbackStore.open(store_url) as store:
        assert current_revision(store.engine) == "0002"
        [old] = store.messages("old")
        assert old["text"] == "from 0001" and old["uid"] is None and old["intent"] is None
        store.record_message("old", 1, "agent", "still works")
        assert len(store.messages("old")) == 2
    with TeamStore.open(store_url) as team:
        assert team.stats()["revision"] == "0002"


def test_a_newer_schema_is_refused_untouched(store_url: str) -> None:  # noqa: F811
    TeamStore.open(store_url).close()
    engine = engine_for(store_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099_future'"))
    with pytest.raises(StoreError, match="newer version of Assist.*0099_future"):
        TeamStore.open(store_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == (
            "0099_future"
        )
    engine.dispose()


def test_unreachable_server_is_a_clear_error() -> None:
    with pytest.raises(StoreError, match="cannot reach the database server.*nothing is lost"):
        TeamStore.open("postgresql://someone@127.0.0.1:1/assist")


def test_wrong_password_is_a_clear_error(pg_server: PgServer) -> None:  # noqa: F811
    if not pg_server.url.password:
        pytest.skip("the test server's URL has no password (trust login): nothing to get wrong")
    url = pg_server.url.set(password="not-the-password").render_as_string(hide_password=False)
    with pytest.raises(StoreError, match="refused the login.*set-password") as info:
        TeamStore.open(url)
    assert "not-the-password" not in str(info.value)


def test_the_password_comes_from_the_keyring(pg_server: PgServer) -> None:  # noqa: F811
    if not pg_server.url.password:
        pytest.skip("the test server's URL has no password (trust login): nothing to get wrong")
    bare = pg_server.url._replace(password=None).render_as_string(hide_password=False)
    assert make_url(resolve_url(bare)).password is None
    secrets.set_secret(PASSWORD_SECRET, pg_server.url.password or "")
    assert make_url(resolve_url(bare)).password == pg_server.url.password
    with TeamStore.open(bare) as team:
        assert team.backend == "postgresql"


def test_a_password_in_the_settings_is_refused() -> None:
    settings = Settings()
    settings.set("store.url", "postgresql://sam:hunter2@db.example/assist")
    settings.save()
    with pytest.raises(StoreError, match="contains a password.*keyring") as info:
        resolve_url()
    assert "hunter2" not in str(info.value)


def test_the_default_is_the_profile_file(isolated_profile) -> None:
    assert resolve_url() == f"sqlite:///{isolated_profile / 'assist.db'}"

"""Alembic, driven from code: bring a database to the schema this version of Assist knows.

Why programmatic: the desktop app has no ``alembic.ini`` on disk and must migrate the user's
file on start, so the ``Config`` is built here with ``script_location`` pointing at the
``migrations`` package inside the installed ``assist`` (found from ``__file__``, so it works from
a checkout, a wheel or a frozen bundle that keeps the .py files).

The upgrade runs on one connection inside one transaction that the caller's engine opens, and
``env.py`` uses exactly that connection: on SQLite (where the store's engine emits its own
``BEGIN``) the DDL and the ``alembic_version`` stamp commit together or not at all, and
``BEGIN IMMEDIATE`` makes two processes that start at once migrate one after the other instead
of racing to ``CREATE TABLE``.

A database stamped with a revision this code has never heard of was written by a newer Assist;
``upgrade`` refuses to touch it (``SchemaTooNewError``) rather than let Alembic fail half-way.
"""

from __future__ import annotations

import io
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Execution option read by the store engine's "begin" hook: start a write transaction
# (BEGIN IMMEDIATE on SQLite) so the write lock is taken up front and busy_timeout applies.
WRITE_TRANSACTION = {"assist_begin": "IMMEDIATE"}


class SchemaTooNewError(RuntimeError):
    """The database is at a revision this version of the code does not know."""

    def __init__(self, revision: str, head: str | None) -> None:
        super().__init__(
            f"schema revision {revision!r} is unknown (this version knows up to {head!r})"
        )
        self.revision = revision
        self.head = head


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic ``Config`` for the store's migrations, without any ini file."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    """The newest revision this code ships."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is stamped with (``None`` for an empty database)."""
    with engine.connect() as connection:
        return _stamped(connection)


def upgrade(engine: Engine) -> str | None:
    """Migrate the database behind ``engine`` to head, in one transaction; returns the head.

    Raises ``SchemaTooNewError`` (without changing anything) if the database was stamped by a
    newer version.
    """
    with engine.connect() as connection:
        connection.execution_options(**WRITE_TRANSACTION)
        with connection.begin():
            stamped = _stamped(connection)
            script = ScriptDirectory.from_config(alembic_config())
            head = script.get_current_head()
            if stamped is not None and not _known(script, stamped):
                raise SchemaTooNewError(stamped, head)
            if stamped != head:
                command.upgrade(alembic_config(connection), "head")
        return head


def offline_sql(url: str) -> str:
    """The migration to head as a SQL script for ``url``'s dialect (for a DBA to review/apply).

    Nothing is connected to; only the dialect named by ``url`` is used (e.g. ``postgresql://``).
    """
    buffer = io.StringIO()
    config = Config(output_buffer=buffer)
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "head", sql=True)
    return buffer.getvalue()


def _stamped(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _known(script: ScriptDirectory, revision: str) -> bool:
    try:
        return script.get_revision(revision) is not None
    except CommandError:  # alembic raises ResolutionError, a CommandError, for unknown ids
        return False

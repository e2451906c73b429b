"""Alembic environment for the Assist store.

Online migrations run on the connection ``assist.store.migrate.upgrade`` passes in through
``config.attributes["connection"]`` -- already inside the caller's transaction, with the store's
pragmas applied -- so there is exactly one engine configuration (no ini file, no second URL).
Offline mode (``assist.store.migrate.offline_sql``) renders SQL for a dialect without connecting.

``render_as_batch`` is on because SQLite can only alter a table by recreating it; Alembic's batch
mode does that for future revisions and is a plain ``ALTER`` on PostgreSQL.
"""

from __future__ import annotations

from alembic import context

from assist.store.schema import metadata


def run_offline() -> None:
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(
            "the Assist store migrates only through assist.store.migrate.upgrade(engine), "
            "which passes its connection in config.attributes['connection']"
        )
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()

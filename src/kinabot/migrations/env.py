"""Alembic environment: migrate the connection ``Store.start()`` hands over, or the URL in
``KINABOT_DATABASE_URL`` when run from the ``alembic`` command line."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection, create_engine, text

from kinabot.records import metadata

# Any fixed number: server workers starting together wait on it so only one migrates.
_ADVISORY_LOCK = 0x6B696E61626F74


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite alters tables by copying them; batch mode does that for the same operations.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK})
        context.run_migrations()


def _run() -> None:
    if context.is_offline_mode():
        raise SystemExit("kinabot migrations run online only: give the database in KINABOT_DATABASE_URL")
    given = context.config.attributes.get("connection")
    if given is not None:
        _migrate(given)
        return
    url = os.environ.get("KINABOT_DATABASE_URL") or context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("set KINABOT_DATABASE_URL to the database to migrate")
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            _migrate(connection)
    finally:
        engine.dispose()


_run()

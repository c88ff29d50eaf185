"""Alembic environment: SQLite in batch mode, PostgreSQL as is, async engines.

When the application runs migrations it passes an open connection in
``config.attributes["connection"]``; from the command line the URL comes from
``DATABASE_URL`` (or the default SQLite file in ``DATA_DIR``).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from alembic import context
from sqlalchemy.engine import Connection

from storage.database import DEFAULT_DATA_DIR, create_engine, sqlite_url
from storage.models import Base

config = context.config
URL = os.environ.get("DATABASE_URL") or sqlite_url(Path(os.environ.get("DATA_DIR") or DEFAULT_DATA_DIR))
target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_from_url(url: str) -> None:
    engine = create_engine(url)
    async with engine.connect() as connection:
        await connection.run_sync(_configure)
        await connection.commit()
    await engine.dispose()


def run_migrations_offline() -> None:
    context.configure(
        url=URL,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
    else:
        asyncio.run(_run_from_url(URL))


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

"""Alembic environment: async engine, URL from rolegate settings unless one is passed in."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from rolegate.db import Base, to_asyncpg_url
from rolegate.rbac import models  # noqa: F401  (registers the tables on Base.metadata)
from rolegate.rbac.testmode import models as testmode_models  # noqa: F401

config = context.config
target_metadata = Base.metadata


def _do_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        compare_server_default=False,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(to_asyncpg_url(url))
    async with engine.connect() as connection:
        await connection.run_sync(_do_run)
    await engine.dispose()


def run_migrations_online() -> None:
    # rolegate.migrations passes an open connection (tests, serve); the alembic CLI passes a URL.
    connection = config.attributes.get("connection")
    if connection is not None:
        _do_run(connection)
        return
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        from rolegate.config import get_settings
        from rolegate.embedded import resolve_database_url

        url, _server = resolve_database_url(get_settings())
    asyncio.run(_run_async(url))


if context.is_offline_mode():
    raise SystemExit("rolegate migrations run online only (they need the live schema)")
run_migrations_online()

"""ROLEGATE_DB__PGBOUNCER: nothing outlives a transaction on a connection.

Behind PgBouncer's transaction pooling the next transaction of a client connection may
run on another server connection. These tests run on the plain server and check what
that needs: the statement timeout is in force inside every transaction (ORM, Core and
db_direct) without being a connection setting, and no named statement is left prepared.
.ci/pgbouncer-path.sh runs the API suite through a real PgBouncer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from rolegate.api.routing import sqlstate
from rolegate.config import Settings
from rolegate.db import create_engine
from rolegate.db_direct import DirectStatement

SHOW_TIMEOUT = DirectStatement(select(func.current_setting("statement_timeout").label("t")))
QUERY_CANCELED = "57014"


@pytest.fixture
async def bouncer_engine(settings: Settings, database_url: str) -> AsyncIterator[AsyncEngine]:
    db = settings.db.model_copy(update={"pgbouncer": True, "statement_timeout_ms": 1234})
    engine = create_engine(settings.model_copy(update={"db": db}), database_url, pool_size=1)
    yield engine
    await engine.dispose()


async def test_timeout_is_not_a_connection_setting_but_holds_in_each_transaction(
    bouncer_engine: AsyncEngine,
) -> None:
    async with bouncer_engine.connect() as conn:
        # Outside a transaction the server's default: nothing PgBouncer would refuse
        # at startup, nothing left on a server connection for its next client.
        autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
        assert await autocommit.scalar(text("SHOW statement_timeout")) == "0"
    async with bouncer_engine.connect() as conn:
        assert await conn.scalar(text("SHOW statement_timeout")) == "1234ms"
        await conn.commit()
        assert await conn.scalar(text("SHOW statement_timeout")) == "1234ms"
        # A savepoint keeps its transaction's setting.
        async with conn.begin_nested():
            assert await conn.scalar(text("SHOW statement_timeout")) == "1234ms"


async def test_direct_statements_run_under_the_timeout(bouncer_engine: AsyncEngine) -> None:
    async with AsyncSession(bouncer_engine) as session:
        assert (await SHOW_TIMEOUT.fetch(session))[0]["t"] == "1234ms"
        await session.commit()
        assert (await SHOW_TIMEOUT.fetch(session))[0]["t"] == "1234ms"


async def test_a_statement_past_the_timeout_is_cancelled(bouncer_engine: AsyncEngine) -> None:
    async with AsyncSession(bouncer_engine) as session:
        with pytest.raises(sa_exc.DBAPIError) as raised:
            await session.execute(text("SELECT pg_sleep(3)"))
    assert sqlstate(raised.value) == QUERY_CANCELED


async def test_no_named_statement_is_left_prepared(bouncer_engine: AsyncEngine) -> None:
    statement = DirectStatement(select(func.count().label("n")).select_from(text("pg_class")))
    async with AsyncSession(bouncer_engine) as session:
        await statement.fetch(session)
        await session.execute(select(func.now()))
        await session.commit()
        await statement.fetch(session)
        prepared = await session.scalar(text("SELECT count(*) FROM pg_prepared_statements"))
    assert prepared == 0


async def test_without_the_setting_statements_are_prepared_by_name(engine: AsyncEngine) -> None:
    # The control for the test above: the default mode caches named statements.
    async with AsyncSession(engine) as session:
        await session.execute(select(func.now()))
        prepared = await session.scalar(text("SELECT count(*) FROM pg_prepared_statements"))
    assert prepared > 0

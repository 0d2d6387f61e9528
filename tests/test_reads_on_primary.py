"""Reads on the primary run in autocommit at READ COMMITTED (rolegate.db.reads_on_primary):
each statement is its own transaction, which is what READ COMMITTED gives a read anyway."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from rolegate.config import Settings
from rolegate.db import create_sessionmaker, reads_on_primary
from rolegate.db_direct import DirectStatement, commit

TRANSACTION_ID = DirectStatement(select(func.txid_current().label("xid")))


async def transactions(maker: async_sessionmaker[AsyncSession]) -> int:
    """How many transactions three statements of one session ran in."""
    async with maker() as session:
        xids = {(await TRANSACTION_ID.fetch(session))[0]["xid"] for _ in range(3)}
        await commit(session)
    return len(xids)


async def test_a_read_sends_each_statement_as_its_own_transaction(
    engine: AsyncEngine, settings: Settings
) -> None:
    reads = reads_on_primary(create_sessionmaker(engine), settings)
    assert await transactions(reads) == 3
    assert engine.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    # The connection goes back to the pool in its default mode: a write's session on the
    # same pool is one transaction again.
    assert await transactions(create_sessionmaker(engine)) == 1


async def test_reads_stay_in_one_transaction_where_autocommit_would_change_them(
    engine: AsyncEngine, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    writes = create_sessionmaker(engine)
    for changed in (
        {"isolation_level": "REPEATABLE READ"},  # one snapshot for the whole read
        {"isolation_level": "SERIALIZABLE"},
        {"pgbouncer": True},  # the statement timeout is set per transaction
    ):
        tuned = settings.model_copy(update={"db": settings.db.model_copy(update=changed)})
        assert await transactions(reads_on_primary(writes, tuned)) == 1, changed
    # The same sessions under the default settings do read in autocommit.
    assert await transactions(reads_on_primary(writes, settings)) == 3
    # A session bound to the test's connection (its savepoints) is left as it is.
    assert reads_on_primary(sessionmaker, settings) is sessionmaker

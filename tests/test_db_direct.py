"""Statements run directly on asyncpg behave as if the session had run them."""

from __future__ import annotations

import pytest
from sqlalchemy import Integer, String, bindparam, cast, func, literal, select
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from rolegate.api.routing import sqlstate
from rolegate.db_direct import DirectStatement

TRANSACTION_ID = DirectStatement(select(func.txid_current().label("xid")))


async def test_first_statement_opens_the_sessions_transaction(engine: AsyncEngine) -> None:
    async with AsyncSession(engine) as session:
        first = (await TRANSACTION_ID.fetch(session))[0]["xid"]
        # The session's own statements run in the same transaction, not in autocommit.
        assert await session.scalar(select(func.txid_current())) == first
        assert (await TRANSACTION_ID.fetch(session))[0]["xid"] == first
        await session.commit()
        # After the commit the session starts a new transaction.
        assert (await TRANSACTION_ID.fetch(session))[0]["xid"] != first


async def test_parameters_literals_and_json_round_trip(engine: AsyncEngine) -> None:
    statement = DirectStatement(
        select(
            literal("fixed").label("fixed"),
            bindparam("name", type_=String).label("name"),
            bindparam("doc", type_=JSONB).label("doc"),
        )
    )
    # 2**70 is past orjson's integers: the stdlib fallback must store it exactly.
    doc = {"rules": [{"subject": "secrets", "action": ["read"]}], "big": 2**70}
    async with AsyncSession(engine) as session:
        rows = await statement.fetch(session, {"name": "n", "doc": doc})
    assert [dict(row) for row in rows] == [{"fixed": "fixed", "name": "n", "doc": doc}]


async def test_database_errors_keep_their_sqlstate_and_the_session_recovers(
    engine: AsyncEngine,
) -> None:
    bad_cast = DirectStatement(select(cast(bindparam("text", type_=String), Integer)))
    async with AsyncSession(engine) as session:
        with pytest.raises(sa_exc.DBAPIError) as raised:
            await bad_cast.fetch(session, {"text": "not a number"})
        assert sqlstate(raised.value) == "22P02"  # invalid_text_representation
        assert not raised.value.connection_invalidated
        await session.rollback()
        assert (await bad_cast.fetch(session, {"text": "42"}))[0][0] == 42


async def test_a_missing_parameter_is_a_key_error_before_anything_is_sent(
    engine: AsyncEngine,
) -> None:
    statement = DirectStatement(select(bindparam("needed", type_=String)))
    async with AsyncSession(engine) as session:
        with pytest.raises(KeyError, match="needed"):
            await statement.fetch(session, {})

"""Statements run directly on asyncpg behave as if the session had run them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import (
    Integer,
    String,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal,
    select,
    text,
)
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from rolegate.api.routing import sqlstate
from rolegate.db_direct import DirectStatement, commit
from rolegate.rbac.models import Organization

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


INSERT_ORGANIZATION = DirectStatement(
    insert(Organization).values(
        id=bindparam("id"),
        name=bindparam("name"),
        slug=bindparam("slug"),
        # The model's Python-side defaults are SQLAlchemy's execution step, skipped here.
        created_at=func.now(),
        updated_at=func.now(),
    )
)


@pytest.fixture
async def slug(engine: AsyncEngine) -> AsyncIterator[str]:
    """A fresh organization slug; the row the test commits under it is deleted after."""
    slug = f"direct-{uuid.uuid4().hex[:12]}"
    yield slug
    async with engine.begin() as conn:
        await conn.execute(delete(Organization).where(Organization.slug == slug))


async def committed_slugs(engine: AsyncEngine, slug: str) -> list[str]:
    async with engine.connect() as other:
        return list(await other.scalars(select(Organization.slug).where(Organization.slug == slug)))


async def test_commit_of_core_statements_goes_to_the_driver_and_survives_the_close(
    engine: AsyncEngine, slug: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def not_this_way(self: AsyncSession) -> None:
        raise AssertionError("session.commit() was used for a session without ORM state")

    async with AsyncSession(engine) as session:
        first = (await TRANSACTION_ID.fetch(session))[0]["xid"]
        await INSERT_ORGANIZATION.fetch(session, {"id": uuid.uuid4(), "name": "D", "slug": slug})
        with monkeypatch.context() as patch:
            patch.setattr(AsyncSession, "commit", not_this_way)
            await commit(session)
        # Committed: another connection sees it, and the session's next statement runs
        # in a new transaction.
        assert await committed_slugs(engine, slug) == [slug]
        assert (await TRANSACTION_ID.fetch(session))[0]["xid"] != first
    # Closing the session (its rollback) took nothing back.
    assert await committed_slugs(engine, slug) == [slug]


async def test_commit_with_pending_orm_objects_flushes_them_through_the_session(
    engine: AsyncEngine, slug: str
) -> None:
    async with AsyncSession(engine, autoflush=False) as session:
        await TRANSACTION_ID.fetch(session)
        session.add(Organization(name="ORM", slug=slug))
        await commit(session)
    assert await committed_slugs(engine, slug) == [slug]


async def test_commit_in_a_session_joined_to_an_outer_transaction_leaves_it_open(
    connection: AsyncConnection, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    # The tests' sessions run in savepoints of a transaction the test rolls back.
    outer = await connection.scalar(select(func.txid_current()))
    async with sessionmaker() as session:
        assert (await TRANSACTION_ID.fetch(session))[0]["xid"] == outer
        await commit(session)
    assert connection.in_transaction()
    assert await connection.scalar(select(func.txid_current())) == outer


async def test_a_failed_commit_keeps_its_sqlstate_for_the_retry_logic(engine: AsyncEngine) -> None:
    # A deferred constraint is checked at COMMIT: the error comes from the commit itself.
    deferred = "CREATE TEMP TABLE probe (id int UNIQUE DEFERRABLE INITIALLY DEFERRED)"
    rows: list[dict[str, Any]] = []
    async with AsyncSession(engine) as session:
        await DirectStatement(text(deferred)).fetch(session)
        await DirectStatement(text("INSERT INTO probe VALUES (1), (1)")).fetch(session)
        with pytest.raises(sa_exc.DBAPIError) as raised:
            await commit(session)
        assert sqlstate(raised.value) == "23505"  # unique_violation
        await session.rollback()
        # The session goes on working on its connection.
        rows = [dict(r) for r in await TRANSACTION_ID.fetch(session)]
    assert len(rows) == 1

"""Prebuilt Core statements run straight on the session's asyncpg connection.

Why: on the hot path SQLAlchemy's execution layer costs more than the database: most of
a ``session.execute`` is Python (cache-key lookup, execution context, two greenlet
switches, result processing), where asyncpg's ``fetch`` of the same prepared statement
is a fraction of it (bench/README.md, "What paid off", has the figures).

What stays SQLAlchemy's, so nothing else changes:

- the statement: built with Core and compiled once per dialect by SQLAlchemy's own
  compiler, so the SQL text and parameter casts are exactly what ``session.execute``
  would send, and bind processors (JSON serialization, arrays) are applied as it would;
- the connection and the transaction: the statement runs on the connection the session
  has checked out, inside the transaction the session's DBAPI adapter opened (opened here
  if this is the request's first statement), rolled back by the session and committed by
  :func:`commit` (on the driver when the session holds no ORM state, else by the session);
- errors: a database error comes back as ``sqlalchemy.exc.DBAPIError`` with the asyncpg
  error as ``orig`` (the route class reads its SQLSTATE to retry serialization failures),
  and a connection that died under the statement is invalidated and reported as such, so
  the route class's one retry on a fresh connection still applies.

Rows come back as ``asyncpg.Record``: read them by column name (``row["slug"]``). JSON
columns arrive decoded (the dialect's JSON codec on the connection), UUID columns as
``uuid.UUID`` (asyncpg's subclass), timestamps as aware datetimes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

import asyncpg
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.util import greenlet_spawn

_REQUIRED: Any = object()  # marks a parameter the caller must pass


@dataclass(frozen=True, slots=True)
class _Slot:
    """One positional parameter (``$n``): its name, fixed value and bind processor."""

    name: str
    value: Any  # _REQUIRED, or the literal the statement carries (``literal("x")``)
    process: Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class _Compiled:
    dialect: Dialect
    sql: str
    slots: tuple[_Slot, ...]


class DirectStatement:
    """A Core statement with named ``bindparam()``s, run by :meth:`fetch`."""

    __slots__ = ("_compiled", "_statement")

    def __init__(self, statement: ClauseElement) -> None:
        self._statement = statement
        self._compiled: _Compiled | None = None

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self._compiled
        if compiled is not None and compiled.dialect is dialect:
            return compiled
        result = cast(SQLCompiler, self._statement.compile(dialect=dialect))
        slots = []
        for name in result.positiontup or ():
            bind = result.binds[name]
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            value = _REQUIRED if bind.required else bind.effective_value
            slots.append(_Slot(name, value, processor))
        compiled = _Compiled(dialect, result.string, tuple(slots))
        self._compiled = compiled
        return compiled

    def _arguments(self, compiled: _Compiled, params: Mapping[str, Any]) -> list[Any]:
        arguments = []
        for slot in compiled.slots:
            value = params[slot.name] if slot.value is _REQUIRED else slot.value
            if slot.process is not None and value is not None:
                value = slot.process(value)
            arguments.append(value)
        return arguments

    async def fetch(
        self, session: AsyncSession, params: Mapping[str, Any] | None = None
    ) -> list[asyncpg.Record]:
        """Run the statement in the session's transaction; every row it returns."""
        held = await _held_connection(session)
        compiled = self._compile(held.connection.dialect)
        arguments = self._arguments(compiled, params or {})
        adapter = held.adapter
        try:
            if adapter._transaction is None:
                # The adapter opens its transaction lazily, on the first statement sent
                # through it; this may be the request's first, so open it the adapter's
                # way (its commit and rollback only act on a transaction it opened).
                await adapter._start_transaction()
            rows: list[asyncpg.Record] = await held.driver.fetch(compiled.sql, *arguments)
        except Exception as error:
            raise await _as_sqlalchemy_error(
                held.connection, adapter, compiled.sql, error
            ) from error
        return rows


@dataclass(frozen=True, slots=True)
class _HeldConnection:
    """The connection a session transaction holds, down to the asyncpg connection."""

    transaction: SessionTransaction
    connection: Connection
    adapter: Any  # SQLAlchemy's DBAPI adapter around the asyncpg connection
    driver: asyncpg.Connection


_HELD = "rolegate.db_direct.held"


async def _held_connection(session: AsyncSession) -> _HeldConnection:
    """The session transaction's connection, looked up once per transaction.

    Asking the session for it costs a greenlet round trip per statement; a
    session transaction keeps one connection for its whole life, so it is remembered in
    ``session.info`` next to the transaction it belongs to. The first lookup checks the
    connection out in one greenlet round trip, not the two of ``session.connection()``
    and ``get_raw_connection()``.
    """
    held: _HeldConnection | None = session.info.get(_HELD)
    current = session.sync_session.get_transaction()
    if held is not None and held.transaction is current and current.is_active:
        return held
    connection, fairy = await greenlet_spawn(_check_out, session.sync_session)
    transaction = session.sync_session.get_transaction()
    assert transaction is not None  # noqa: S101 - session.connection() began one
    held = _HeldConnection(transaction, connection, fairy.dbapi_connection, fairy.driver_connection)
    session.info[_HELD] = held
    return held


def _check_out(session: Session) -> tuple[Connection, Any]:
    """The session's connection (checked out and begun if need be) and its pool proxy."""
    connection = session.connection()
    return connection, connection.connection


async def commit(session: AsyncSession) -> None:
    """Commit the session's transaction.

    A request that ran only Core statements (every hot path) on a connection its session
    checked out leaves the session without ORM state; its transaction is then committed
    on the driver: one COMMIT, without ``session.commit()``'s greenlet round trip and
    flush bookkeeping (bench/README.md, lesson 14). The session's own close then
    finds the driver transaction gone and has nothing to roll back. With ORM objects
    loaded or pending, the session commits as usual: it must flush them, and its
    rollback on close would expire them.
    """
    held: _HeldConnection | None = session.info.get(_HELD)
    if (
        held is not None
        and held.adapter.isolation_level == "autocommit"
        and not (session.identity_map or session.new or session.deleted)
    ):
        return  # a read in autocommit (db.reads_on_primary): each statement committed itself
    if (
        held is None
        # A session bound to a connection has joined its owner's transaction (the
        # tests' savepoints): the driver transaction is not the session's to commit.
        or not isinstance(session.bind, AsyncEngine)
        or held.transaction is not session.sync_session.get_transaction()
        or not held.transaction.is_active
        or held.connection.in_nested_transaction()
        or held.adapter._transaction is None
        or session.identity_map
        or session.new
        or session.deleted
    ):
        await session.commit()
        return
    adapter = held.adapter
    try:
        await adapter._call_and_discard(adapter._transaction.commit)
    except Exception as error:
        raise await _as_sqlalchemy_error(held.connection, adapter, "COMMIT", error) from error


async def _as_sqlalchemy_error(
    connection: Connection, adapter: Any, sql: str, error: Exception
) -> Exception:
    """The error ``session.execute`` would have raised for ``error``.

    asyncpg's error becomes the dialect's DBAPI error (SQLSTATE kept, the adapter's own
    translation), then SQLAlchemy's wrapper of it; a connection found closed is
    invalidated, as SQLAlchemy does on a disconnect.
    """
    dialect = connection.dialect
    dbapi_error: type[Exception] = dialect.loaded_dbapi.Error
    if not isinstance(error, dbapi_error):
        try:
            adapter._handle_exception(error)  # raises the translated error
        except dbapi_error as translated:
            error = translated
        except Exception:  # not a database error: raised unchanged
            return error
    disconnected = bool(dialect.is_disconnect(cast(Any, error), adapter, None))
    if disconnected:
        await greenlet_spawn(connection.invalidate, error)
    wrapped: Exception = sa_exc.DBAPIError.instance(
        sql, None, error, dbapi_error, connection_invalidated=disconnected
    )
    return wrapped

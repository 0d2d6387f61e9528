"""Prebuilt Core statements run straight on the session's asyncpg connection.

Why: on the hot path SQLAlchemy's execution layer costs more than the database. Measured
on this machine (bench/README.md, "What paid off"): ``session.execute`` of endpoint A's
lock query takes ~330 µs of which ~250 µs are Python (cache-key lookup, execution
context, two greenlet switches, result processing); asyncpg's ``fetch`` of the same
prepared statement takes ~85 µs. A PATCH runs four such statements.

What stays SQLAlchemy's, so nothing else changes:

- the statement: built with Core and compiled once per dialect by SQLAlchemy's own
  compiler, so the SQL text and parameter casts are exactly what ``session.execute``
  would send, and bind processors (JSON serialization, arrays) are applied as it would;
- the connection and the transaction: the statement runs on the connection the session
  has checked out, inside the transaction the session's DBAPI adapter opened (opened here
  if this is the request's first statement), committed or rolled back by the session;
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
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import SessionTransaction
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

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
    connection: AsyncConnection
    adapter: Any  # SQLAlchemy's DBAPI adapter around the asyncpg connection
    driver: asyncpg.Connection


_HELD = "rolegate.db_direct.held"


async def _held_connection(session: AsyncSession) -> _HeldConnection:
    """The session transaction's connection, looked up once per transaction.

    Asking the session for it costs two greenlet round trips (~40 µs) per statement;
    a session transaction keeps one connection for its whole life, so it is remembered
    in ``session.info`` next to the transaction it belongs to.
    """
    held: _HeldConnection | None = session.info.get(_HELD)
    current = session.sync_session.get_transaction()
    if held is not None and held.transaction is current and current.is_active:
        return held
    connection = await session.connection()
    fairy = await connection.get_raw_connection()
    transaction = session.sync_session.get_transaction()
    assert transaction is not None  # noqa: S101 - session.connection() began one
    held = _HeldConnection(transaction, connection, fairy.dbapi_connection, fairy.driver_connection)
    session.info[_HELD] = held
    return held


async def _as_sqlalchemy_error(
    connection: AsyncConnection, adapter: Any, sql: str, error: Exception
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
        await connection.invalidate(error)
    wrapped: Exception = sa_exc.DBAPIError.instance(
        sql, None, error, dbapi_error, connection_invalidated=disconnected
    )
    return wrapped

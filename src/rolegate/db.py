"""Declarative base, engine and session factories. Nothing here connects at import time."""

from __future__ import annotations

import datetime as dt
import json
import uuid
import weakref
from typing import Any

import orjson
from sqlalchemy import DateTime, MetaData, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from rolegate.config import Settings
from rolegate.pgbouncer import timeout_per_transaction

# Stable constraint names: Alembic can then diff and drop them by name.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UUIDPrimaryKey:
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)


class Timestamps:
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), default=utcnow
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), default=utcnow, onupdate=utcnow
    )


def to_asyncpg_url(url: str) -> str:
    """Accept the plain ``postgresql://`` URLs people paste and point them at asyncpg."""
    for prefix in (
        "postgresql+asyncpg://",
        "postgresql+psycopg://",
        "postgresql://",
        "postgres://",
    ):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


def json_dumps(value: Any) -> str:
    """JSON/JSONB parameters: orjson (several times faster than ``json.dumps``), and the
    stdlib for what orjson refuses (integers past 64 bits), so nothing storable fails."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value)


def create_engine(settings: Settings, url: str, **overrides: Any) -> AsyncEngine:
    server_settings = {"application_name": "rolegate"}
    connect_args: dict[str, Any] = {
        "timeout": settings.db.connect_timeout,
        "command_timeout": settings.db.statement_timeout_ms / 1000 + 1,
        "server_settings": server_settings,
    }
    if settings.db.pgbouncer:
        # PgBouncer refuses startup parameters it does not track (statement_timeout is
        # one), and a named statement prepared in one transaction may be looked up on
        # another server connection in the next: asyncpg's and the dialect's statement
        # caches are off, so every statement is sent unnamed and parsed where it runs.
        connect_args["statement_cache_size"] = 0
        connect_args["prepared_statement_cache_size"] = 0
        connect_args["connection_class"] = timeout_per_transaction(settings.db.statement_timeout_ms)
    else:
        server_settings["statement_timeout"] = str(settings.db.statement_timeout_ms)
    options: dict[str, Any] = {
        "pool_size": settings.db.pool_size,
        "max_overflow": settings.db.max_overflow,
        "pool_timeout": settings.db.pool_timeout,
        # A connection killed by a database restart is detected on first use (the pool is
        # then invalidated and the request retried, see api/routing.py), which is what lets
        # the server recover without a restart of its own.
        "pool_pre_ping": settings.db.pool_pre_ping,
        "echo": settings.log_sql,
        "connect_args": connect_args,
        # Decoding stays the stdlib's: orjson reads integers past 64 bits as floats.
        "json_serializer": json_dumps,
    }
    if settings.db.isolation_level:
        options["isolation_level"] = settings.db.isolation_level
    options.update(overrides)
    return create_async_engine(to_asyncpg_url(url), **options)


def create_read_engine(settings: Settings, url: str) -> AsyncEngine:
    """The engine of ``ROLEGATE_DATABASE_READ_URL``: a pool of its own, and every
    transaction ``BEGIN READ ONLY`` (asyncpg sends it in the same statement; no round trip).
    A hot standby refuses writes anyway; this makes a writable server named by mistake
    refuse them too, so a write that slipped into a read fails loudly instead of landing on
    a copy."""
    return create_engine(
        settings,
        url,
        pool_size=settings.db.read_pool_size or settings.db.pool_size,
        execution_options={"postgresql_readonly": True},
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


_READS_ON_PRIMARY: weakref.WeakKeyDictionary[
    async_sessionmaker[AsyncSession], async_sessionmaker[AsyncSession]
] = weakref.WeakKeyDictionary()


def reads_on_primary(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> async_sessionmaker[AsyncSession]:
    """The sessions a read runs in on the primary: ``sessionmaker``'s, in autocommit.

    At READ COMMITTED every statement takes its own snapshot, in a transaction or not, so
    a read's statements see what they would have seen between BEGIN and COMMIT; the two
    round trips bought nothing (~120 us of CPU per read in one process, bench/README.md).
    A read writes nothing (each GET answers on a hot standby, tests/reliability/
    test_read_replica.py), so there is nothing for a transaction to hold together.

    Kept in a transaction: under REPEATABLE READ or SERIALIZABLE (one snapshot for the
    whole read), behind PgBouncer (the statement timeout is set per transaction there)
    and in a session bound to a connection (the tests' savepoints).
    """
    bind = sessionmaker.kw.get("bind")
    if (
        not isinstance(bind, AsyncEngine)
        or settings.db.pgbouncer
        or settings.db.isolation_level not in (None, "READ COMMITTED")
    ):
        return sessionmaker
    reads = _READS_ON_PRIMARY.get(sessionmaker)
    if reads is None:
        reads = async_sessionmaker(
            class_=sessionmaker.class_,
            **{**sessionmaker.kw, "bind": bind.execution_options(isolation_level="AUTOCOMMIT")},
        )
        _READS_ON_PRIMARY[sessionmaker] = reads
    return reads

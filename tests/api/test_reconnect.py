"""A pooled connection the database dropped costs the client nothing.

The pool does not ping connections on checkout (three round trips per request); a request
that meets a dead connection is retried once on a fresh one, before anything committed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from rolegate.config import Settings
from rolegate.db import create_engine
from rolegate.main import create_app
from tests.api.infisical.conftest import ADMIN, ENGINEERING, PROJECT, WORLD
from tests.conftest import bearer, infisical_token, seed_into

pytestmark = pytest.mark.committed

URL = f"/api/v2/workspace/{PROJECT}/groups/{ENGINEERING}"


@pytest.fixture
async def one_connection_app(
    settings: Settings, database_url: str, committed: dict[str, Any]
) -> AsyncIterator[dict[str, Any]]:
    """An app on its own engine with exactly one pooled connection (so we know its pid)."""
    engine = create_engine(settings, database_url, pool_size=1, max_overflow=0)
    app = create_app(settings, engine=engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://rolegate.test") as client:
        yield {"client": client, "engine": engine, "maker": app.state.sessionmaker}
    await engine.dispose()


async def _kill_pooled_connection(app_engine: AsyncEngine, admin_engine: AsyncEngine) -> None:
    async with app_engine.connect() as conn:
        pid = await conn.scalar(text("SELECT pg_backend_pid()"))
    async with admin_engine.connect() as admin:
        assert await admin.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        # Wait until the backend is really gone, so the next checkout meets a dead socket.
        for _ in range(100):
            alive = await admin.scalar(
                text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
            )
            if not alive:
                break


async def test_patch_succeeds_when_its_pooled_connection_was_dropped(
    one_connection_app: dict[str, Any], settings: Settings, engine: AsyncEngine
) -> None:
    async with one_connection_app["maker"]() as session:
        await seed_into(session, WORLD)
        token = await infisical_token(session, settings, ADMIN)
    client: httpx.AsyncClient = one_connection_app["client"]
    await _kill_pooled_connection(one_connection_app["engine"], engine)

    response = await client.patch(URL, json={"roles": [{"role": "viewer"}]}, headers=bearer(token))

    assert response.status_code == 200, response.text
    assert [r["role"] for r in response.json()["roles"]] == ["viewer"]
    read_back = await client.get(URL, headers=bearer(token))
    assert [r["role"] for r in read_back.json()["groupMembership"]["roles"]] == ["viewer"]


async def test_readyz_is_ready_when_its_pooled_connection_was_dropped(
    one_connection_app: dict[str, Any], engine: AsyncEngine
) -> None:
    client: httpx.AsyncClient = one_connection_app["client"]
    assert (await client.get("/readyz")).status_code == 200
    await _kill_pooled_connection(one_connection_app["engine"], engine)

    response = await client.get("/readyz")

    assert response.status_code == 200, response.text

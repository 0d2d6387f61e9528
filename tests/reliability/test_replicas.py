"""Two ``rolegate serve`` replicas on different ports over one PostgreSQL agree.

Everything a replica could keep to itself lives in the database: rate-limit counters,
stored idempotent responses, revoked tokens, the notification outbox, the test clock. So
a client that alternates between replicas sees one server, and the two replicas' outbox
workers deliver each notification exactly once between them. Real processes, one
database.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from copy import deepcopy
from typing import Any

import httpx
import pytest
from aiosmtpd.smtp import SMTP
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bench.harness import Server
from rolegate.config import Settings
from rolegate.db import Base
from tests.api.csp import conftest as csp_world
from tests.api.csp.test_notifications import (
    NOTIFY_TWO_ROLES,
    Sink,
    add_bulk_members,
    outbox_rows,
    wait_until_none_pending,
)
from tests.api.infisical.conftest import ADMIN, ENGINEERING, PROJECT, WORLD
from tests.conftest import bearer, infisical_token, seed_into

pytestmark = pytest.mark.committed

RATE_LIMIT = 12
URL = f"/api/v2/workspace/{PROJECT}/groups/{ENGINEERING}"
LOGIN = "/api/v1/auth/universal-auth/login"


@pytest.fixture(scope="module")
async def smtp_sink() -> AsyncIterator[tuple[Sink, int]]:
    sink = Sink()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(sink, hostname="localhost", loop=loop), host="127.0.0.1", port=0
    )
    try:
        yield sink, server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


def _renamed(world: dict[str, Any], suffix: str) -> dict[str, Any]:
    """The world with other org slugs: both worlds name theirs ``acme`` and ``other``,
    and the seed loader matches an organization by its slug."""
    copy = deepcopy(world)
    for org in copy["organizations"]:
        org["slug"] += suffix
    return copy


@pytest.fixture(scope="module")
async def maker(engine: AsyncEngine) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Committed state for the whole module (the replicas are started once); each test
    uses its own credentials, so their rate-limit budgets do not meet."""
    maker = async_sessionmaker(engine, expire_on_commit=False)
    async with maker() as session:
        await seed_into(session, WORLD)
        await seed_into(session, _renamed(csp_world.WORLD, "-csp"))
    yield maker
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {tables} CASCADE"))


@pytest.fixture(scope="module")
async def replicas(
    maker: async_sessionmaker[AsyncSession], database_url: str, smtp_sink: tuple[Sink, int]
) -> AsyncIterator[list[httpx.AsyncClient]]:
    env = {
        "ROLEGATE_RATE_LIMIT__ENABLED": "true",
        "ROLEGATE_RATE_LIMIT__REQUESTS": str(RATE_LIMIT),
        "ROLEGATE_SMTP_URL": f"smtp://127.0.0.1:{smtp_sink[1]}",
        # The test clock lives in the database: both replicas must read the same one.
        "ROLEGATE_TEST_MODE": "true",
    }
    # One after the other: the port probe finds a port free until a server binds it.
    started = [await asyncio.to_thread(Server, database_url, env=env, migrate=False)]
    try:
        started.append(await asyncio.to_thread(Server, database_url, env=env, migrate=False))
        assert started[0].port != started[1].port
        clients = [httpx.AsyncClient(base_url=s.base_url, timeout=30) for s in started]
        yield clients
        for client in clients:
            await client.aclose()
    finally:
        await asyncio.gather(*(asyncio.to_thread(s.close) for s in started))


async def admin_token(maker: async_sessionmaker[AsyncSession], settings: Settings) -> str:
    async with maker() as session:
        return await infisical_token(session, settings, ADMIN)


async def test_rate_limit_is_one_budget_across_replicas(
    replicas: list[httpx.AsyncClient],
    maker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    token = await admin_token(maker, settings)
    statuses = [
        (await replicas[i % 2].get(URL, headers=bearer(token))).status_code
        for i in range(RATE_LIMIT + 2)
    ]
    # Each replica alone saw half the budget; together they spent all of it.
    assert statuses == [200] * RATE_LIMIT + [429, 429]


async def test_an_idempotency_key_replays_on_the_other_replica(
    replicas: list[httpx.AsyncClient],
    maker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    token = await admin_token(maker, settings)
    key = {"Idempotency-Key": str(uuid.uuid4()), **bearer(token)}
    body = {"roles": [{"role": "viewer", "isTemporary": False}]}
    first = await replicas[0].patch(URL, json=body, headers=key)
    assert first.status_code == 200, first.text
    replay = await replicas[1].patch(URL, json=body, headers=key)
    assert replay.status_code == 200
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert replay.json() == first.json()
    other = {"roles": [{"role": "admin", "isTemporary": False}]}
    refused = await replicas[1].patch(URL, json=other, headers=key)
    assert refused.status_code == 422, refused.text
    read = await replicas[0].get(URL, headers=bearer(token))
    assert [r["role"] for r in read.json()["groupMembership"]["roles"]] == ["viewer"]


async def test_a_login_on_one_replica_is_revoked_on_the_other(
    replicas: list[httpx.AsyncClient],
) -> None:
    login = await replicas[0].post(
        LOGIN, json={"clientId": "member-client", "clientSecret": "member-secret"}
    )
    assert login.status_code == 200, login.text
    token = login.json()["accessToken"]
    assert (await replicas[1].get(URL, headers=bearer(token))).status_code == 200
    revoked = await replicas[1].post("/api/v1/auth/token/revoke", json={"accessToken": token})
    assert revoked.status_code == 200, revoked.text
    for replica in replicas:
        assert (await replica.get(URL, headers=bearer(token))).status_code == 401


async def test_both_replicas_workers_deliver_each_notification_exactly_once(
    replicas: list[httpx.AsyncClient],
    maker: async_sessionmaker[AsyncSession],
    smtp_sink: tuple[Sink, int],
) -> None:
    sink, _ = smtp_sink
    async with maker() as session:
        await add_bulk_members(session, csp_world.ENGINEERING, 28)  # 30 members
    token = await csp_world.exchange(replicas[0], csp_world.API_TOKENS["owner"])
    patched = await replicas[1].patch(
        csp_world.roles_url(), json=NOTIFY_TWO_ROLES, headers=csp_world.csp(token)
    )
    assert patched.status_code == 200, patched.text
    await wait_until_none_pending(maker)

    ids = [m["X-Rolegate-Notification-Id"] for m in sink.messages]
    assert len(ids) == 60
    assert len(set(ids)) == 60
    async with maker() as session:
        rows = await outbox_rows(session)
    assert {str(r.id) for r in rows} == set(ids)
    assert all(r.status == "delivered" and r.attempts == 1 for r in rows)


async def test_the_test_clock_moved_on_one_replica_is_the_other_replicas_clock(
    replicas: list[httpx.AsyncClient],
) -> None:
    login = await replicas[0].post(
        LOGIN, json={"clientId": "member-client", "clientSecret": "member-secret"}
    )
    assert login.status_code == 200, login.text
    token = login.json()["accessToken"]
    ttl = login.json()["expiresIn"]
    try:
        moved = await replicas[0].post("/_rolegate/clock", json={"advance": f"{ttl + 3600}s"})
        assert moved.status_code == 200, moved.text
        seen = (await replicas[1].get("/_rolegate/clock")).json()
        assert seen["simulated"] is True
        assert abs(seen["offsetSeconds"] - (ttl + 3600)) < 60
        # Past the token's exp by the shared clock: refused by the replica that did not
        # move it as well as by the one that did.
        for replica in replicas:
            assert (await replica.get(URL, headers=bearer(token))).status_code == 401
    finally:
        assert (await replicas[1].delete("/_rolegate/clock")).status_code in (200, 204)
    assert (await replicas[0].get("/_rolegate/clock")).json()["simulated"] is False
    assert (await replicas[0].get(URL, headers=bearer(token))).status_code == 200

"""Per-credential rate limiting: off by default, 429 in the envelope, counted in PostgreSQL."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from rolegate.config import RateLimitSettings, Settings
from rolegate.rbac.models import RateLimitBucket
from tests.conftest import bearer
from tests.reliability.conftest import URL, Tokens, app_client

# A window this long never rolls over during a test run.
LIMIT = RateLimitSettings(enabled=True, requests=3, window_seconds=10**9)


async def test_rate_limiting_is_off_by_default(client: httpx.AsyncClient, tokens: Tokens) -> None:
    statuses = {(await client.get(URL, headers=bearer(tokens.admin))).status_code for _ in range(8)}
    assert statuses == {200}


async def test_requests_over_the_limit_get_429_in_the_envelope_with_retry_after(
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    tokens: Tokens,
) -> None:
    async with app_client(settings, engine, sessionmaker, rate_limit=LIMIT) as client:
        allowed = [await client.get(URL, headers=bearer(tokens.admin)) for _ in range(3)]
        refused = await client.patch(
            URL, json={"roles": [{"role": "viewer"}]}, headers=bearer(tokens.admin)
        )
        after = await client.get(URL, headers=bearer(tokens.viewer))

    assert [r.status_code for r in allowed] == [200, 200, 200]
    assert refused.status_code == 429
    body = refused.json()
    assert body["statusCode"] == 429 and body["error"] == "RateLimitExceeded"
    assert body["reqId"] == refused.headers["x-request-id"]
    assert int(refused.headers["retry-after"]) >= 1
    # Another credential has its own budget, and the refused PATCH changed nothing.
    assert after.status_code == 200
    assert [r["role"] for r in after.json()["groupMembership"]["roles"]] == ["member"]


async def test_replicas_share_the_counters_in_the_database(
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    tokens: Tokens,
    session: AsyncSession,
) -> None:
    async with (
        app_client(settings, engine, sessionmaker, rate_limit=LIMIT) as one,
        app_client(settings, engine, sessionmaker, rate_limit=LIMIT) as two,
    ):
        statuses = [
            (await replica.get(URL, headers=bearer(tokens.admin))).status_code
            for replica in (one, two, one, two)
        ]

    assert statuses == [200, 200, 200, 429]
    counted = await session.execute(select(func.max(RateLimitBucket.count)))
    assert counted.scalar_one() == 4


async def test_requests_without_a_credential_are_limited_by_client_address(
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    tokens: Tokens,
) -> None:
    login = "/api/v1/auth/universal-auth/login"
    wrong = {"clientId": "admin-client", "clientSecret": "guess"}
    async with app_client(settings, engine, sessionmaker, rate_limit=LIMIT) as client:
        statuses = [(await client.post(login, json=wrong)).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]

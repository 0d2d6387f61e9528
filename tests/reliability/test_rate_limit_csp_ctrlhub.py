"""Rate limiting answers 429 with Retry-After in the CSP envelope and as a JSON:API error
document; the refused request changes nothing."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from rolegate.config import RateLimitSettings, Settings
from tests.api.csp import conftest as csp_world
from tests.api.ctrlhub import conftest as ctrlhub_world
from tests.conftest import seed_into
from tests.reliability.conftest import app_client

# A window this long never rolls over during a test run.
LIMIT = RateLimitSettings(enabled=True, requests=3, window_seconds=10**9)


async def test_csp_requests_over_the_limit_get_429_in_the_csp_envelope(
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    client: httpx.AsyncClient,
) -> None:
    await seed_into(session, csp_world.WORLD)
    owner = csp_world.csp(await csp_world.exchange(client, csp_world.API_TOKENS["owner"]))
    before = await csp_world.read_roles(client, owner["csp-auth-token"])
    url = csp_world.roles_url()
    async with app_client(settings, engine, sessionmaker, rate_limit=LIMIT) as limited:
        allowed = [(await limited.get(url, headers=owner)).status_code for _ in range(3)]
        refused = await limited.patch(
            url, json={"organizationRoles": {"roleNamesToAdd": ["developer"]}}, headers=owner
        )

    assert allowed == [200, 200, 200]
    body = csp_world.assert_csp_error(refused, 429)
    assert body["errorCode"] == "TOO_MANY_REQUESTS"
    assert int(refused.headers["retry-after"]) >= 1
    assert await csp_world.read_roles(client, owner["csp-auth-token"]) == before


async def test_ctrlhub_requests_over_the_limit_get_429_as_a_jsonapi_error(
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    client: httpx.AsyncClient,
) -> None:
    await seed_into(session, ctrlhub_world.WORLD)
    before = await ctrlhub_world.read_group(client)
    url = ctrlhub_world.group_url()
    headers = ctrlhub_world.headers()
    async with app_client(settings, engine, sessionmaker, rate_limit=LIMIT) as limited:
        allowed = [(await limited.get(url, headers=headers)).status_code for _ in range(3)]
        refused = await limited.patch(
            url, json=ctrlhub_world.patch_body(name="Too many"), headers=headers
        )

    assert allowed == [200, 200, 200]
    ctrlhub_world.assert_error(refused, 429)
    assert int(refused.headers["retry-after"]) >= 1
    assert await ctrlhub_world.read_group(client) == before

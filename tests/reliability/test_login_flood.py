"""A flood of wrong-secret logins must not stall anyone else's requests: the slow hash
(argon2id, for a secret a person chose) runs off the event loop, a few at a time."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from rolegate.config import Settings
from tests.api.infisical.conftest import ADMIN, WORLD
from tests.conftest import bearer, infisical_token, seed_into
from tests.reliability.conftest import URL

pytestmark = pytest.mark.committed

LOGIN = "/api/v1/auth/universal-auth/login"
FLOOD = 40
# Generous: an authenticated GET alone takes milliseconds; behind 40 argon2 checks run on
# the event loop it took seconds.
BOUND_SECONDS = 1.5


async def test_an_authenticated_get_completes_while_40_wrong_secret_logins_are_in_flight(
    committed: dict[str, Any], settings: Settings
) -> None:
    async with committed["sessionmaker"]() as session:
        await seed_into(session, WORLD)  # admin-client's secret is a chosen one: argon2id
        token = await infisical_token(session, settings, ADMIN)
    client = committed["client"]
    assert (await client.get(URL, headers=bearer(token))).status_code == 200  # warm

    flood = [
        asyncio.create_task(
            client.post(LOGIN, json={"clientId": "admin-client", "clientSecret": f"guess-{i}"})
        )
        for i in range(FLOOD)
    ]
    await asyncio.sleep(0.05)  # every login has started
    started = time.monotonic()
    read = await client.get(URL, headers=bearer(token))
    elapsed = time.monotonic() - started
    still_in_flight = sum(not login.done() for login in flood)
    logins = await asyncio.gather(*flood)

    assert read.status_code == 200, read.text
    assert [login.status_code for login in logins] == [401] * FLOOD
    # The GET was answered while most of the flood still waited, and promptly.
    assert still_in_flight > FLOOD // 2, still_in_flight
    assert elapsed < BOUND_SECONDS, elapsed

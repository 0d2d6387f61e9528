"""Write transactions retry on serialization failures (40001/40P01), a bounded number of times.

Conflicts are forced deterministically under SERIALIZABLE isolation: a test transaction
updates the group's membership row and holds it while the PATCH (whose snapshot is
already taken) waits for the row lock; when the test commits, PostgreSQL fails the
PATCH's lock with 40001 and the route class must run the whole transaction again.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from rolegate.config import DatabaseSettings, Settings
from rolegate.db import create_engine
from rolegate.main import create_app
from tests.api.infisical.conftest import ADMIN, ENGINEERING, PROJECT, WORLD
from tests.conftest import bearer, infisical_token, seed_into, until_waiting_on_a_lock
from tests.reliability.conftest import URL

pytestmark = pytest.mark.committed


def retries() -> float:
    value = REGISTRY.get_sample_value(
        "rolegate_db_transaction_retries_total", {"sqlstate": "40001"}
    )
    return value or 0.0


@pytest.fixture
async def serializable_engine(
    settings: Settings, database_url: str
) -> AsyncIterator[tuple[Settings, AsyncEngine]]:
    strict = settings.model_copy(update={"db": DatabaseSettings(isolation_level="SERIALIZABLE")})
    engine = create_engine(strict, database_url)
    yield strict, engine
    await engine.dispose()


async def patch_against_a_concurrent_commit(
    committed: dict[str, Any], settings: Settings, strict: Settings, engine: AsyncEngine
) -> tuple[httpx.Response, list[str]]:
    async with committed["sessionmaker"]() as session:
        await seed_into(session, WORLD)
        token = await infisical_token(session, settings, ADMIN)
    app = create_app(strict, engine=engine)
    async with (
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://rolegate.test"
        ) as client,
        engine.connect() as blocker,
    ):
        await blocker.begin()
        await blocker.execute(
            text(
                "UPDATE project_memberships SET updated_at = now()"
                " WHERE project_id = :p AND group_id = :g"
            ),
            {"p": PROJECT, "g": ENGINEERING},
        )
        patch = asyncio.create_task(
            client.patch(URL, json={"roles": [{"role": "viewer"}]}, headers=bearer(token))
        )
        await until_waiting_on_a_lock(committed["sessionmaker"], patch)
        await blocker.commit()
        response = await patch
        got = await client.get(URL, headers=bearer(token))
    return response, [r["role"] for r in got.json()["groupMembership"]["roles"]]


async def test_a_serialization_failure_is_retried_and_the_patch_succeeds(
    committed: dict[str, Any],
    settings: Settings,
    serializable_engine: tuple[Settings, AsyncEngine],
) -> None:
    strict, engine = serializable_engine
    before = retries()

    response, roles = await patch_against_a_concurrent_commit(committed, settings, strict, engine)

    assert response.status_code == 200, response.text
    assert retries() >= before + 1
    assert roles == ["viewer"]


async def test_exhausted_retries_are_503_with_retry_after_and_write_nothing(
    committed: dict[str, Any],
    settings: Settings,
    serializable_engine: tuple[Settings, AsyncEngine],
) -> None:
    strict, engine = serializable_engine
    once = strict.model_copy(
        update={"db": DatabaseSettings(isolation_level="SERIALIZABLE", serialization_retries=1)}
    )

    response, roles = await patch_against_a_concurrent_commit(committed, settings, once, engine)

    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    body = response.json()
    assert body["statusCode"] == 503 and body["error"] == "ServiceUnavailable"
    assert roles == ["member"]


async def test_concurrent_patches_under_serializable_all_succeed_through_retries(
    committed: dict[str, Any],
    settings: Settings,
    serializable_engine: tuple[Settings, AsyncEngine],
) -> None:
    strict, engine = serializable_engine
    async with committed["sessionmaker"]() as session:
        await seed_into(session, WORLD)
        token = await infisical_token(session, settings, ADMIN)
    app = create_app(strict, engine=engine)
    bodies = [{"roles": [{"role": r}]} for r in ("admin", "viewer", "no-access")]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://rolegate.test"
    ) as client:
        responses = await asyncio.gather(
            *(client.patch(URL, json=b, headers=bearer(token)) for b in bodies)
        )
        final = (await client.get(URL, headers=bearer(token))).json()

    assert [r.status_code for r in responses] == [200, 200, 200], [r.text for r in responses]
    assert [r["role"] for r in final["groupMembership"]["roles"]] in [
        [b["roles"][0]["role"]] for b in bodies
    ]


async def test_csp_answers_409_when_retries_are_exhausted_and_writes_nothing(
    committed: dict[str, Any],
    settings: Settings,
    serializable_engine: tuple[Settings, AsyncEngine],
) -> None:
    # The CSP reference documents 409 for a concurrent conflict that cannot serialize.
    from tests.api.csp.conftest import API_TOKENS, csp, exchange, names, roles_url
    from tests.api.csp.conftest import ENGINEERING as CSP_GROUP
    from tests.api.csp.conftest import WORLD as CSP_WORLD

    strict, engine = serializable_engine
    once = strict.model_copy(
        update={"db": DatabaseSettings(isolation_level="SERIALIZABLE", serialization_retries=1)}
    )
    async with committed["sessionmaker"]() as session:
        await seed_into(session, CSP_WORLD)
    app = create_app(once, engine=engine)
    async with (
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://rolegate.test"
        ) as client,
        engine.connect() as blocker,
    ):
        token = await exchange(client, API_TOKENS["owner"])
        before = names((await client.get(roles_url(), headers=csp(token))).json())
        await blocker.begin()
        await blocker.execute(
            text("UPDATE groups SET updated_at = now() WHERE id = :g"), {"g": CSP_GROUP}
        )
        patch = asyncio.create_task(
            client.patch(
                roles_url(),
                json={"organizationRoles": {"roleNamesToAdd": ["developer"]}},
                headers=csp(token),
            )
        )
        await until_waiting_on_a_lock(committed["sessionmaker"], patch)
        await blocker.commit()
        response = await patch
        after = names((await client.get(roles_url(), headers=csp(token))).json())

    assert response.status_code == 409, response.text
    body = response.json()
    assert body["statusCode"] == 409
    assert "conflicted with concurrent updates" in body["message"]
    assert response.headers["csp-request-id"] == body["requestId"]
    assert after == before

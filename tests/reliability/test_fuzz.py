"""Fuzz every route with schemathesis against rolegate's own OpenAPI document.

A real ``rolegate serve`` answers (the same stack clients hit). Each operation gets a
bounded number of generated requests, valid and invalid, sent with the credential of an
org owner in the form the route's surface expects (an Infisical bearer token, a CSP
``csp-auth-token``, a ctrl-hub ``X-Session-Token``) and mostly aimed at the seeded world
(``fuzz_world.aim``): no response may be a 5xx, and every response must be a documented
status with the documented content type and body schema (the surface's error envelope
included).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bench.harness import Server
from rolegate.config import Settings
from rolegate.db import Base
from rolegate.main import create_app
from tests.api.infisical.conftest import ADMIN
from tests.conftest import infisical_token, seed_into
from tests.reliability.fuzz_world import (
    CSP_API_TOKEN,
    FUZZ_WORLD,
    SESSION_TOKEN,
    aim,
    credentials,
)

pytestmark = pytest.mark.committed

AUTH_HEADERS = {"authorization", "csp-auth-token", "x-session-token"}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
async def fuzz_target(
    engine: AsyncEngine, settings: Settings, database_url: str
) -> AsyncIterator[dict[str, Any]]:
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        await seed_into(session, FUZZ_WORLD)
        infisical = await infisical_token(session, settings, ADMIN)
    server = await asyncio.to_thread(Server, database_url, migrate=False)
    try:
        async with httpx.AsyncClient(base_url=server.base_url) as client:
            exchanged = await client.post(
                "/csp/gateway/am/api/auth/api-tokens/authorize",
                data={"api_token": CSP_API_TOKEN},
            )
        assert exchanged.status_code == 200, exchanged.text
        tokens = {
            "infisical": infisical,
            "csp": exchanged.json()["access_token"],
            "ctrlhub": SESSION_TOKEN,
        }
        yield {"server": server, "tokens": tokens}
    finally:
        await asyncio.to_thread(server.close)
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        async with engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {tables} CASCADE"))


# The document the server publishes at /openapi.json, built without a database.
schema = schemathesis.openapi.from_dict(create_app(Settings(log_level="warning")).openapi())
# The document declares each surface's credential as a security scheme; left on, every case
# would carry a generated (invalid) token and nothing would get past the 401. The test
# sends a real credential per surface instead (``credentials``).
schema.config.generation.update(with_security_parameters=False)


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_5xx_and_every_response_matches_its_documented_schema(
    case: Any, fuzz_target: dict[str, Any]
) -> None:
    aim(case)
    headers = credentials(case.operation.path, fuzz_target["tokens"])
    if case.headers and AUTH_HEADERS & {name.lower() for name in case.headers}:
        headers = {}
    server: Server = fuzz_target["server"]
    case.call_and_validate(base_url=server.base_url, headers=headers, checks=CHECKS)

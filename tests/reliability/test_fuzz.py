"""Fuzz every route with schemathesis against rolegate's own OpenAPI document.

A real ``rolegate serve`` answers (the same stack clients hit). Each operation gets a
bounded number of generated requests, valid and invalid, sent with an admin token:
no response may be a 5xx, and every response must be a documented status with the
documented content type and body schema (the surface's error envelope included).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

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
from tests.api.infisical.conftest import ADMIN, ADMINS, ENGINEERING, LOOSE_GROUP, PROJECT, WORLD
from tests.conftest import infisical_token, seed_into

pytestmark = pytest.mark.committed

GROUPS = [ENGINEERING, ADMINS, LOOSE_GROUP]
SLUGS = ["admin", "member", "viewer", "no-access", "secret-reader"]
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
        await seed_into(session, WORLD)
        token = await infisical_token(session, settings, ADMIN)
    server = await asyncio.to_thread(Server, database_url, migrate=False)
    try:
        yield {"server": server, "token": token}
    finally:
        await asyncio.to_thread(server.close)
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        async with engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {tables} CASCADE"))


# The document the server publishes at /openapi.json, built without a database.
schema = schemathesis.openapi.from_dict(create_app(Settings(log_level="warning")).openapi())


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
    # Random UUIDs only ever reach the 404s: point most cases at the seeded project and
    # groups so that generated bodies reach validation, permissions and the write.
    params = case.path_parameters or {}
    if isinstance(params.get("projectId"), str) and len(str(case.body)) % 4:
        params["projectId"] = PROJECT
        if "groupId" in params:
            params["groupId"] = GROUPS[len(str(case.body)) % len(GROUPS)]
        # ... and most generated role names at roles that exist, to reach the write.
        roles = case.body.get("roles") if isinstance(case.body, dict) else None
        for item in roles if isinstance(roles, list) else []:
            if isinstance(item, dict) and isinstance(item.get("role"), str):
                choices = [*SLUGS, item["role"]]
                item["role"] = choices[len(item["role"]) % len(choices)]
    headers = {"Authorization": f"Bearer {fuzz_target['token']}"}
    if case.headers and "Authorization" in case.headers:
        headers = {}
    server: Server = fuzz_target["server"]
    case.call_and_validate(base_url=server.base_url, headers=headers, checks=CHECKS)

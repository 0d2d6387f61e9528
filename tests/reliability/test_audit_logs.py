"""The audit trail over HTTP (GET /api/v1/audit-logs) and from the CLI (rolegate audit)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from rolegate.config import Settings
from tests.api.infisical.conftest import ADMIN, ENGINEERING, ORG, PROJECT, WORLD
from tests.conftest import bearer, infisical_token, seed_into
from tests.reliability.conftest import URL, Tokens

AUDIT = "/api/v1/audit-logs"
ROLEGATE = Path(sys.executable).with_name("rolegate")


async def test_an_accepted_patch_is_listed_with_actor_surface_target_before_and_after(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    patched = await client.patch(
        URL, json={"roles": [{"role": "viewer"}]}, headers=bearer(tokens.admin)
    )
    assert patched.status_code == 200

    response = await client.get(AUDIT, params={"since": "1h"}, headers=bearer(tokens.admin))

    assert response.status_code == 200, response.text
    event = response.json()["auditLogs"][0]
    assert event["surface"] == "infisical"
    assert event["action"] == "project-group.roles.update"
    assert event["actor"] == {"type": "identity", "id": ADMIN}
    assert event["target"]["type"] == "project-group-membership"
    assert event["before"]["groupId"] == ENGINEERING
    assert [r["role"] for r in event["before"]["roles"]] == ["member"]
    assert [r["role"] for r in event["after"]["roles"]] == ["viewer"]
    assert event["requestId"] == patched.headers["x-request-id"]
    assert event["createdAt"].endswith("Z")


async def test_limit_and_since_filter_the_events(client: httpx.AsyncClient, tokens: Tokens) -> None:
    for role in ("viewer", "admin", "member"):
        await client.patch(URL, json={"roles": [{"role": role}]}, headers=bearer(tokens.admin))
    headers = bearer(tokens.admin)

    newest = await client.get(AUDIT, params={"limit": 1}, headers=headers)
    future = await client.get(AUDIT, params={"since": "2999-01-01T00:00:00Z"}, headers=headers)

    # Listed in the order the changes were made, even inside this test's one transaction.
    [event] = newest.json()["auditLogs"]
    assert [r["role"] for r in event["after"]["roles"]] == ["member"]
    assert future.json()["auditLogs"] == []


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 1001}, {"since": "yesterday-ish"}])
async def test_bad_filters_are_422(
    client: httpx.AsyncClient, tokens: Tokens, params: dict[str, Any]
) -> None:
    response = await client.get(AUDIT, params=params, headers=bearer(tokens.admin))
    assert response.status_code == 422
    assert response.json()["error"] == "ValidationFailure"


async def test_audit_logs_are_org_scoped_and_need_read_on_audit_logs(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    await client.patch(URL, json={"roles": [{"role": "viewer"}]}, headers=bearer(tokens.admin))

    outsider = await client.get(AUDIT, headers=bearer(tokens.outsider))
    member = await client.get(AUDIT, headers=bearer(tokens.member))
    anonymous = await client.get(AUDIT)

    assert outsider.status_code == 200 and outsider.json()["auditLogs"] == []
    assert member.status_code == 403 and member.json()["error"] == "PermissionDenied"
    assert anonymous.status_code == 401


@pytest.mark.committed
async def test_cli_audit_prints_actor_surface_target_before_and_after(
    committed: dict[str, Any], settings: Settings, database_url: str
) -> None:
    async with committed["sessionmaker"]() as session:
        await seed_into(session, WORLD)
        token = await infisical_token(session, settings, ADMIN)
    client: httpx.AsyncClient = committed["client"]
    patched = await client.patch(URL, json={"roles": [{"role": "viewer"}]}, headers=bearer(token))
    assert patched.status_code == 200
    env = {**os.environ, "ROLEGATE_DATABASE_URL": database_url}

    async def cli(*args: str) -> str:
        process = await asyncio.create_subprocess_exec(
            str(ROLEGATE),
            "audit",
            *args,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await process.communicate()
        assert process.returncode == 0, err.decode()
        return out.decode()

    text = await cli("--since", "1h")
    lines = (await cli("--since", "1h", "--org", ORG, "--json")).splitlines()

    assert f"infisical  identity:{ADMIN}  project-group.roles.update" in text
    assert '"role":"member"' in text and '"role":"viewer"' in text
    record = json.loads(lines[0])
    assert record["actor"] == {"type": "identity", "id": ADMIN}
    assert [r["role"] for r in record["before"]["roles"]] == ["member"]
    assert [r["role"] for r in record["after"]["roles"]] == ["viewer"]
    assert PROJECT in record["after"]["projectId"]

"""The audit trail lists events in the order their changes committed.

An event's place must not depend on when its request began: a PATCH that waited for
the row lock commits after the ones it waited for, and its event must be listed after
theirs, or the newest event would not describe the state a GET returns.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from rolegate.config import Settings
from tests.api.infisical.bc_world import ADMIN, ORG, TEMPLATE, WORLD
from tests.api.infisical.conftest import audit_log_events
from tests.conftest import bearer, infisical_token, seed_into

pytestmark = pytest.mark.committed

URL = f"/api/v1/project-templates/{TEMPLATE}"
ROLEGATE = Path(sys.executable).with_name("rolegate")
WRITERS = 30


async def _thirty_concurrent_patches(committed: dict[str, Any], settings: Settings) -> str:
    async with committed["sessionmaker"]() as session:
        await seed_into(session, WORLD)
        token = await infisical_token(session, settings, ADMIN)
    client: httpx.AsyncClient = committed["client"]
    responses = await asyncio.gather(
        *(
            client.patch(URL, json={"description": f"value {i}"}, headers=bearer(token))
            for i in range(WRITERS)
        )
    )
    assert [r.status_code for r in responses] == [200] * WRITERS, [
        r.text for r in responses if r.status_code != 200
    ]
    return token


def assert_one_chain(events: list[dict[str, Any]], final: str) -> None:
    """Newest first: the newest is the final state, each event starts where the one
    listed after it ended, and every createdAt is at least its successor's."""
    assert len(events) == WRITERS
    assert events[0]["after"]["description"] == final
    for newer, older in itertools.pairwise(events):
        assert newer["before"]["description"] == older["after"]["description"]
        assert newer["createdAt"] >= older["createdAt"]


async def test_newest_listed_event_is_the_state_a_get_returns_after_30_concurrent_patches(
    committed: dict[str, Any], settings: Settings
) -> None:
    token = await _thirty_concurrent_patches(committed, settings)
    client: httpx.AsyncClient = committed["client"]

    read = await client.get(URL, headers=bearer(token))
    events = await audit_log_events(client, token, "project-template.update")

    assert_one_chain(events, read.json()["projectTemplate"]["description"])


async def test_cli_audit_lists_the_same_commit_order(
    committed: dict[str, Any], settings: Settings, database_url: str
) -> None:
    token = await _thirty_concurrent_patches(committed, settings)
    client: httpx.AsyncClient = committed["client"]
    read = await client.get(URL, headers=bearer(token))
    process = await asyncio.create_subprocess_exec(
        str(ROLEGATE),
        "audit",
        "--since",
        "1h",
        "--org",
        ORG,
        "--json",
        env={**os.environ, "ROLEGATE_DATABASE_URL": database_url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()

    records = [json.loads(line) for line in out.decode().splitlines()]
    events = [r for r in records if r["action"] == "project-template.update"]

    assert_one_chain(events, read.json()["projectTemplate"]["description"])

"""Concurrent creates of one group name on CSP: one 201, every other a 409."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select

from rolegate.rbac.models import AuditEvent, Group
from tests.api.csp.conftest import API_TOKENS, ORG, WORLD, assert_csp_error, csp, exchange
from tests.conftest import seed_into

pytestmark = pytest.mark.committed

GROUPS = f"/csp/gateway/am/api/orgs/{ORG}/groups"
# One name in the spellings ten clients might send it: CSP names are case-insensitive.
SPELLINGS = ["Night Shift", "night shift", "NIGHT SHIFT", "Night shift", "nIGHT sHIFT"] * 2


async def test_ten_parallel_creates_of_one_new_name_give_one_group_and_nine_409s(
    committed: dict[str, Any],
) -> None:
    async with committed["sessionmaker"]() as session:
        await seed_into(session, WORLD)
    client = committed["client"]
    token = await exchange(client, API_TOKENS["owner"])
    # Open a connection for each request first, so that none waits for one while the
    # others run: the ten creates then really overlap.
    await asyncio.gather(*(client.get(GROUPS, headers=csp(token)) for _ in SPELLINGS))

    responses = await asyncio.gather(
        *(client.post(GROUPS, json={"displayName": n}, headers=csp(token)) for n in SPELLINGS)
    )

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 9, [r.text for r in responses]
    for response in responses:
        if response.status_code == 409:
            body = assert_csp_error(response, 409)
            assert body["errorCode"] == "CONFLICT"
            assert "already exists in this organization" in body["message"]
    (created,) = [r.json() for r in responses if r.status_code == 201]
    page = (await client.get(GROUPS, params={"pageLimit": 200}, headers=csp(token))).json()
    named = [g for g in page["results"] if g["displayName"].lower() == "night shift"]
    assert [g["id"] for g in named] == [created["id"]]
    async with committed["sessionmaker"]() as session:
        stored = await session.scalar(
            select(func.count()).select_from(Group).where(func.lower(Group.name) == "night shift")
        )
        events = await session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "csp.group.create")
        )
    assert (stored, events) == (1, 1)

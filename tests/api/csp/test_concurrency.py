"""Concurrent PATCHes on one group serialize on the group row: no update is lost."""

from __future__ import annotations

import asyncio
import copy
import time
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from rolegate.rbac.models import RoleAssignment
from tests.api.csp.conftest import API_TOKENS, ENGINEERING, ORG, WORLD, csp, exchange, roles_url
from tests.conftest import seed_into

pytestmark = pytest.mark.committed

EXTRA_ROLES = [f"team-{n:02d}" for n in range(16)]


def world_with_extra_roles() -> dict[str, Any]:
    world = copy.deepcopy(WORLD)
    world["organizations"][0]["custom_roles"] += [
        {"name": name, "permissions": []} for name in EXTRA_ROLES
    ]
    return world


async def test_16_concurrent_patches_adding_different_roles_all_land(
    committed: dict[str, Any],
) -> None:
    async with committed["sessionmaker"]() as session:
        await seed_into(session, world_with_extra_roles())
    client = committed["client"]
    token = await exchange(client, API_TOKENS["owner"])

    responses = await asyncio.gather(
        *(
            client.patch(
                roles_url(ORG, ENGINEERING),
                json={"customRoles": {"rolesToAdd": [{"name": name}]}},
                headers=csp(token),
            )
            for name in EXTRA_ROLES
        )
    )

    assert [r.status_code for r in responses] == [200] * 16, [r.text for r in responses]
    read = await client.get(roles_url(ORG, ENGINEERING), headers=csp(token))
    custom = sorted(r["name"] for r in read.json()["customRoles"])
    assert custom == sorted(["auditor", "viewer-plus", *EXTRA_ROLES])


async def test_16_concurrent_adds_of_one_role_leave_exactly_one_grant(
    committed: dict[str, Any],
) -> None:
    async with committed["sessionmaker"]() as session:
        await seed_into(session, WORLD)
    client = committed["client"]
    token = await exchange(client, API_TOKENS["owner"])
    base = int(time.time()) + 3600
    expiries = [base + n for n in range(16)]

    responses = await asyncio.gather(
        *(
            client.patch(
                roles_url(ORG, ENGINEERING),
                json={"organizationRoles": {"rolesToAdd": [{"name": "developer", "expiresAt": e}]}},
                headers=csp(token),
            )
            for e in expiries
        )
    )

    assert [r.status_code for r in responses] == [200] * 16, [r.text for r in responses]
    read = await client.get(roles_url(ORG, ENGINEERING), headers=csp(token))
    developer = [r for r in read.json()["organizationRoles"] if r["name"] == "developer"]
    assert len(developer) == 1  # without the row lock, each request would insert its own
    assert developer[0]["expiresAt"] in expiries
    async with committed["sessionmaker"]() as session:
        rows = (
            await session.execute(
                select(func.count())
                .select_from(RoleAssignment)
                .where(
                    RoleAssignment.group_id == uuid.UUID(ENGINEERING),
                    RoleAssignment.role_key == "developer",
                )
            )
        ).scalar()
    assert rows == 1

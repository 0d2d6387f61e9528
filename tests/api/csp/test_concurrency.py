"""Concurrent PATCHes on one group serialize on the group row: no update is lost."""

from __future__ import annotations

import asyncio
import copy
import time
import uuid
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from rolegate.rbac.models import Group, RoleAssignment
from tests.api.csp.conftest import API_TOKENS, ENGINEERING, ORG, WORLD, csp, exchange, roles_url
from tests.conftest import seed_into, until_waiting_on_a_lock

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


# --- a PATCH that had to wait for the group's lock reads what its holder committed ------


async def test_patch_queued_behind_a_writer_sees_the_role_it_added(
    committed: dict[str, Any],
) -> None:
    """The group's rows are read after the lock is granted, not by the statement that
    waited for it: a role another writer added under the lock can be updated at once."""
    async with committed["sessionmaker"]() as session:
        await seed_into(session, WORLD)
    client, maker = committed["client"], committed["sessionmaker"]
    token = await exchange(client, API_TOKENS["owner"])
    expires = int(time.time()) + 7200
    async with maker() as writer:
        # What every writer of the group's roles does first.
        await writer.execute(
            select(Group.id).where(Group.id == uuid.UUID(ENGINEERING)).with_for_update()
        )
        await writer.execute(
            insert(RoleAssignment).values(
                id=uuid.uuid4(),
                org_id=uuid.UUID(ORG),
                surface="csp",
                kind="organization",
                group_id=uuid.UUID(ENGINEERING),
                role_key="developer",
            )
        )
        task = asyncio.ensure_future(
            client.patch(
                roles_url(ORG, ENGINEERING),
                json={
                    "organizationRoles": {
                        "rolesToUpdate": [{"name": "developer", "expiresAt": expires}]
                    }
                },
                headers=csp(token),
            )
        )
        await until_waiting_on_a_lock(maker, task)
        await writer.commit()
        response = await task

    assert response.status_code == 200, response.text
    read = await client.get(roles_url(ORG, ENGINEERING), headers=csp(token))
    developer = [r for r in read.json()["organizationRoles"] if r["name"] == "developer"]
    assert [r["expiresAt"] for r in developer] == [expires]

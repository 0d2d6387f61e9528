"""The org grant boundary seen from CSP: an org_admin cannot become an org_owner through
another surface (ctrl-hub's bindings, members or deletes) and then pass endpoint D's
owner-only check; D itself changes only organization and custom roles its caller holds."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.csp.conftest import (
    ADMIN,
    API_TOKENS,
    ENGINEERING,
    GROUP_OWNER,
    MEMBER,
    ORG,
    OTHER_GROUP,
    OTHER_ORG,
    OWNERS,
    WORLD,
    assert_csp_error,
    csp,
    exchange,
    names,
    read_roles,
    roles_url,
)
from tests.conftest import seed_into

ADMIN_SESSION = "ses-csp-admin"
OWNER_SESSION = "ses-csp-owner"
JSONAPI = "application/vnd.api+json"
GROUPS = f"/v3/orgs/{ORG}/iam/groups"


def boundary_world() -> dict[str, Any]:
    """The CSP world with ctrl-hub session tokens for its admin and its owner."""
    world = copy.deepcopy(WORLD)
    for user in world["organizations"][0]["users"]:
        if user["id"] == ADMIN:
            user["session_tokens"] = [ADMIN_SESSION]
        if user["email"] == "owner@acme.test":
            user["session_tokens"] = [OWNER_SESSION]
    return world


@pytest.fixture
async def admin_token(session: AsyncSession, client: httpx.AsyncClient) -> str:
    await seed_into(session, boundary_world())
    return await exchange(client, API_TOKENS["admin"])


def ctrlhub(token: str) -> dict[str, str]:
    return {"X-Session-Token": token, "Content-Type": JSONAPI, "Accept": JSONAPI}


def users_body(*ids: str) -> dict[str, Any]:
    return {"data": [{"type": "users", "id": i} for i in ids]}


def owner_binding() -> dict[str, Any]:
    return {"role": "org_owner", "condition": {"gate": "AND", "rules": []}}


async def try_every_escalation(client: httpx.AsyncClient) -> list[int]:
    """What an org_admin tried, as ctrl-hub answered: add itself to the CSP owners group,
    bind org_owner to the groups it is in or creates, delete the owners group."""
    own_group = await client.post(
        GROUPS,
        json={"data": {"type": "groups", "attributes": {"name": "Mine"}}},
        headers=ctrlhub(ADMIN_SESSION),
    )
    assert own_group.status_code == 201, own_group.text
    mine = own_group.json()["data"]["id"]
    joined = await client.patch(
        f"{GROUPS}/{mine}/relationships/members",
        json=users_body(ADMIN),
        headers=ctrlhub(ADMIN_SESSION),
    )
    assert joined.status_code == 200, joined.text
    responses = [
        await client.patch(
            f"{GROUPS}/{OWNERS}/relationships/members",
            json=users_body(GROUP_OWNER, ADMIN),
            headers=ctrlhub(ADMIN_SESSION),
        ),
        await client.patch(
            f"{GROUPS}/{mine}",
            json={
                "data": {
                    "type": "groups",
                    "id": mine,
                    "attributes": {"bindings": [owner_binding()]},
                }
            },
            headers=ctrlhub(ADMIN_SESSION),
        ),
        await client.post(
            GROUPS,
            json={
                "data": {
                    "type": "groups",
                    "attributes": {"name": "Shadow", "bindings": [owner_binding()]},
                }
            },
            headers=ctrlhub(ADMIN_SESSION),
        ),
        await client.delete(f"{GROUPS}/{OWNERS}", headers=ctrlhub(ADMIN_SESSION)),
    ]
    statuses = [r.status_code for r in responses]
    if statuses == [403] * len(responses):
        for response in responses:
            assert response.headers["content-type"].startswith(JSONAPI), response.text
    return statuses


async def test_admin_cannot_become_owner_through_ctrlhub_and_then_pass_endpoint_d(
    client: httpx.AsyncClient, admin_token: str
) -> None:
    owner = await exchange(client, API_TOKENS["owner"])
    owners_before = await read_roles(client, owner, OWNERS)
    assert await try_every_escalation(client) == [403, 403, 403, 403]

    response = await client.patch(
        roles_url(group=ENGINEERING),
        json={"organizationRoles": {"rolesToAdd": [{"name": "org_owner"}]}},
        headers=csp(admin_token),
    )
    assert_csp_error(response, 403)
    assert "org_owner" not in names(await read_roles(client, owner))["organizationRoles"]
    assert await read_roles(client, owner, OWNERS) == owners_before


async def test_owner_through_a_group_may_grant_and_remove_org_owner_on_d(
    client: httpx.AsyncClient, admin_token: str
) -> None:
    group_owner = await exchange(client, API_TOKENS["group_owner"])
    for change in ("rolesToAdd", "rolesToRemove"):
        response = await client.patch(
            roles_url(),
            json={"organizationRoles": {change: [{"name": "org_owner"}]}},
            headers=csp(group_owner),
        )
        assert response.status_code == 200, response.text
    assert "org_owner" not in names(await read_roles(client, group_owner))["organizationRoles"]


async def test_an_owner_binding_whose_condition_does_not_match_is_refused_on_d(
    client: httpx.AsyncClient, admin_token: str
) -> None:
    # The admin's own group binds org_owner on an attribute the admin does not have.
    created = await client.post(
        GROUPS,
        json={
            "data": {
                "type": "groups",
                "attributes": {
                    "name": "Board",
                    "bindings": [
                        {
                            "role": "org_owner",
                            "condition": {
                                "gate": "AND",
                                "rules": [
                                    {
                                        "type": "attribute",
                                        "operator": "has_value",
                                        "key": "department",
                                        "value": "board",
                                    }
                                ],
                            },
                        }
                    ],
                },
            }
        },
        headers=ctrlhub(OWNER_SESSION),
    )
    assert created.status_code == 201, created.text
    board = created.json()["data"]["id"]
    joined = await client.patch(
        f"{GROUPS}/{board}/relationships/members",
        json=users_body(ADMIN, MEMBER),
        headers=ctrlhub(OWNER_SESSION),
    )
    assert joined.status_code == 200, joined.text
    response = await client.patch(
        roles_url(),
        json={"organizationRoles": {"rolesToAdd": [{"name": "developer"}]}},
        headers=csp(admin_token),
    )
    assert_csp_error(response, 403)


async def test_owner_of_another_org_cannot_change_this_orgs_roles(
    client: httpx.AsyncClient, admin_token: str
) -> None:
    other = await exchange(client, API_TOKENS["other_owner"])
    response = await client.patch(
        roles_url(),
        json={"organizationRoles": {"rolesToAdd": [{"name": "org_owner"}]}},
        headers=csp(other),
    )
    assert_csp_error(response, 403)
    ours = await client.patch(
        roles_url(OTHER_ORG, OTHER_GROUP),
        json={"organizationRoles": {"rolesToAdd": [{"name": "org_owner"}]}},
        headers=csp(admin_token),
    )
    assert_csp_error(ours, 403)

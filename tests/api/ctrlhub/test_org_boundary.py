"""The org grant boundary on ctrl-hub: an actor changes only the org authority it holds.

An org_admin (directly, or through a group) is not an org_owner: it may not bind
org_owner, create a group holding it, change the members of a group holding it (adding
itself or removing an owner), delete such a group, or remove such a binding. Every
refusal is a JSON:API 403 and a later GET shows nothing changed. Owners may do all of it.
"""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac.models import RoleAssignment
from tests.api.ctrlhub.conftest import (
    ADMINS,
    DEV,
    ENGINEERING,
    GROUP_ADMIN,
    GROUP_ADMIN_TOKEN,
    MEMBER,
    MEMBER_TOKEN,
    ORG,
    OTHER_ORG,
    OUTSIDER_TOKEN,
    OWNER,
    THEIRS,
    WORLD,
    assert_error,
    binding,
    group_url,
    headers,
    read_group,
    rule,
)
from tests.conftest import seed_into

DIRECT_ADMIN = "00000000-0000-4000-8000-00000000c106"
DIRECT_ADMIN_TOKEN = "ses-direct-admin"
OWNERS = "00000000-0000-4000-8000-00000000c304"
GROUPS = f"/v3/orgs/{ORG}/iam/groups"
ADMIN_TOKENS = [DIRECT_ADMIN_TOKEN, GROUP_ADMIN_TOKEN]


def boundary_world() -> dict[str, Any]:
    """The ctrl-hub world plus an admin holding org_admin directly and a group holding the
    CSP org_owner role (the owner is its member)."""
    world = copy.deepcopy(WORLD)
    acme = world["organizations"][0]
    acme["users"].append(
        {
            "id": DIRECT_ADMIN,
            "email": "admin@acme.test",
            "org_roles": ["org_admin"],
            "session_tokens": [DIRECT_ADMIN_TOKEN],
        }
    )
    acme["groups"].append(
        {
            "id": OWNERS,
            "name": "Owners",
            "slug": "owners",
            "members": ["owner@acme.test"],
            "org_roles": ["org_owner"],
        }
    )
    return world


@pytest.fixture
async def boundary(session: AsyncSession) -> None:
    await seed_into(session, boundary_world())


pytestmark = pytest.mark.usefixtures("boundary")


def members_url(group: str) -> str:
    return group_url(group) + "/relationships/members"


def users_body(*ids: str) -> dict[str, Any]:
    return {"data": [{"type": "users", "id": i} for i in ids]}


def create_body(name: str, bindings: list[dict[str, Any]]) -> dict[str, Any]:
    return {"data": {"type": "groups", "attributes": {"name": name, "bindings": bindings}}}


def bindings_body(group: str, bindings: list[dict[str, Any]]) -> dict[str, Any]:
    return {"data": {"type": "groups", "id": group, "attributes": {"bindings": bindings}}}


def member_ids(document: dict[str, Any]) -> list[str]:
    return sorted(u["id"] for u in document["data"]["relationships"]["users"]["data"])


def roles_of(document: dict[str, Any]) -> list[str]:
    return [b["role"] for b in document["data"]["attributes"]["bindings"]]


def grants_of(document: dict[str, Any], user: str) -> list[str]:
    found = [u for u in document["included"] if u["id"] == user]
    assert found, document
    grants: list[str] = found[0]["meta"]["grants"]
    return grants


def assert_boundary_refusal(response: httpx.Response) -> None:
    body = assert_error(response, 403)
    assert "you do not hold: org_owner" in body["errors"][0]["detail"], body
    assert body["errors"][0]["meta"] == {"missingRoles": ["org_owner"]}, body


async def patch_as_owner(client: httpx.AsyncClient, group: str, bindings: list[Any]) -> None:
    response = await client.patch(
        group_url(group), json=bindings_body(group, bindings), headers=headers()
    )
    assert response.status_code == 200, response.text


# --- bindings (endpoint E) -----------------------------------------------------------


@pytest.mark.parametrize("token", ADMIN_TOKENS)
async def test_admin_cannot_bind_org_owner_to_its_own_group(
    client: httpx.AsyncClient, token: str
) -> None:
    before = await read_group(client, ADMINS)
    response = await client.patch(
        group_url(ADMINS),
        json=bindings_body(ADMINS, [binding("org_owner")]),
        headers=headers(token),
    )
    assert_boundary_refusal(response)
    after = await read_group(client, ADMINS)
    assert after["data"] == before["data"]
    assert "org_owner" not in grants_of(after, GROUP_ADMIN)


async def test_admin_cannot_remove_an_org_owner_binding(client: httpx.AsyncClient) -> None:
    await patch_as_owner(client, ENGINEERING, [binding("org_owner", rule("field"))])
    before = await read_group(client)
    response = await client.patch(
        group_url(),
        json=bindings_body(ENGINEERING, []),
        headers=headers(DIRECT_ADMIN_TOKEN),
    )
    assert_boundary_refusal(response)
    assert (await read_group(client))["data"] == before["data"]


async def test_admin_cannot_change_the_condition_of_an_org_owner_binding(
    client: httpx.AsyncClient,
) -> None:
    await patch_as_owner(client, ENGINEERING, [binding("org_owner", rule("field"))])
    response = await client.patch(
        group_url(),
        json=bindings_body(ENGINEERING, [binding("org_owner", rule("office"))]),
        headers=headers(DIRECT_ADMIN_TOKEN),
    )
    assert_boundary_refusal(response)
    assert grants_of(await read_group(client), MEMBER).count("org_owner") == 1


async def test_admin_may_keep_an_org_owner_binding_while_changing_the_others(
    client: httpx.AsyncClient,
) -> None:
    owner_binding = binding("org_owner", rule("field"))
    await patch_as_owner(client, ENGINEERING, [owner_binding])
    response = await client.patch(
        group_url(),
        json=bindings_body(ENGINEERING, [owner_binding, binding("developer")]),
        headers=headers(DIRECT_ADMIN_TOKEN),
    )
    assert response.status_code == 200, response.text
    assert roles_of(await read_group(client)) == ["org_owner", "developer"]


async def test_admin_may_rename_a_group_holding_org_owner(client: httpx.AsyncClient) -> None:
    response = await client.patch(
        group_url(OWNERS),
        json={"data": {"type": "groups", "id": OWNERS, "attributes": {"name": "Board"}}},
        headers=headers(DIRECT_ADMIN_TOKEN),
    )
    assert response.status_code == 200, response.text
    assert (await read_group(client, OWNERS))["data"]["attributes"]["name"] == "Board"


@pytest.mark.parametrize("token", ADMIN_TOKENS)
async def test_admin_may_bind_the_roles_it_holds_and_those_below(
    client: httpx.AsyncClient, token: str
) -> None:
    wanted = [
        binding("org_admin", rule("field")),
        binding("org_member"),
        binding("developer"),
        binding("support_user"),
        binding("auditor"),  # the org's custom role: below org_admin
    ]
    response = await client.patch(
        group_url(), json=bindings_body(ENGINEERING, wanted), headers=headers(token)
    )
    assert response.status_code == 200, response.text
    assert roles_of(await read_group(client)) == [b["role"] for b in wanted]


async def test_owner_may_bind_and_remove_org_owner(client: httpx.AsyncClient) -> None:
    await patch_as_owner(client, ADMINS, [binding("org_owner")])
    assert "org_owner" in grants_of(await read_group(client, ADMINS), GROUP_ADMIN)
    await patch_as_owner(client, ADMINS, [])
    assert "org_owner" not in grants_of(await read_group(client, ADMINS), GROUP_ADMIN)


# --- create ----------------------------------------------------------------------------


@pytest.mark.parametrize("token", ADMIN_TOKENS)
async def test_admin_cannot_create_a_group_binding_org_owner(
    client: httpx.AsyncClient, token: str
) -> None:
    response = await client.post(
        GROUPS,
        json=create_body("Shadow owners", [binding("developer"), binding("org_owner")]),
        headers=headers(token),
    )
    assert_boundary_refusal(response)
    listed = await client.get(GROUPS, headers=headers())
    assert "Shadow owners" not in [g["attributes"]["name"] for g in listed.json()["data"]]


async def test_admin_may_create_a_group_binding_org_admin(client: httpx.AsyncClient) -> None:
    response = await client.post(
        GROUPS,
        json=create_body("Deputies", [binding("org_admin", rule("field"))]),
        headers=headers(DIRECT_ADMIN_TOKEN),
    )
    assert response.status_code == 201, response.text
    assert roles_of(await read_group(client, response.json()["data"]["id"])) == ["org_admin"]


async def test_owner_may_create_a_group_binding_org_owner(client: httpx.AsyncClient) -> None:
    response = await client.post(
        GROUPS, json=create_body("Board", [binding("org_owner")]), headers=headers()
    )
    assert response.status_code == 201, response.text


# --- members ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "actor"), [(DIRECT_ADMIN_TOKEN, DIRECT_ADMIN), (GROUP_ADMIN_TOKEN, GROUP_ADMIN)]
)
async def test_admin_cannot_add_itself_to_a_group_holding_csp_org_owner(
    client: httpx.AsyncClient, token: str, actor: str
) -> None:
    response = await client.patch(
        members_url(OWNERS), json=users_body(OWNER, actor), headers=headers(token)
    )
    assert_boundary_refusal(response)
    assert member_ids(await read_group(client, OWNERS)) == [OWNER]


async def test_admin_cannot_remove_the_owner_from_a_group_holding_org_owner(
    client: httpx.AsyncClient,
) -> None:
    response = await client.patch(
        members_url(OWNERS), json=users_body(), headers=headers(DIRECT_ADMIN_TOKEN)
    )
    assert_boundary_refusal(response)
    assert member_ids(await read_group(client, OWNERS)) == [OWNER]


async def test_admin_cannot_add_a_member_to_a_group_with_a_conditional_owner_binding(
    client: httpx.AsyncClient,
) -> None:
    # DEV's department does not match the binding today; an attribute change would make
    # it match, so the group's roles count whatever the condition says of the new member.
    await patch_as_owner(client, ADMINS, [binding("org_owner", rule("board"))])
    response = await client.patch(
        members_url(ADMINS),
        json=users_body(GROUP_ADMIN, DEV),
        headers=headers(DIRECT_ADMIN_TOKEN),
    )
    assert_boundary_refusal(response)
    assert member_ids(await read_group(client, ADMINS)) == [GROUP_ADMIN]


async def test_admin_may_replace_members_of_a_group_below_it(client: httpx.AsyncClient) -> None:
    # Engineering holds developer and the custom role auditor (CSP rows): below org_admin.
    response = await client.patch(
        members_url(ENGINEERING),
        json=users_body(MEMBER, DIRECT_ADMIN),
        headers=headers(DIRECT_ADMIN_TOKEN),
    )
    assert response.status_code == 200, response.text
    assert member_ids(await read_group(client)) == sorted([MEMBER, DIRECT_ADMIN])


async def test_admin_may_send_the_same_members_of_a_group_holding_org_owner(
    client: httpx.AsyncClient,
) -> None:
    response = await client.patch(
        members_url(OWNERS), json=users_body(OWNER), headers=headers(DIRECT_ADMIN_TOKEN)
    )
    assert response.status_code == 200, response.text


async def test_owner_may_change_the_members_of_a_group_holding_org_owner(
    client: httpx.AsyncClient,
) -> None:
    response = await client.patch(
        members_url(OWNERS), json=users_body(OWNER, DIRECT_ADMIN), headers=headers()
    )
    assert response.status_code == 200, response.text
    assert member_ids(await read_group(client, OWNERS)) == sorted([OWNER, DIRECT_ADMIN])


# --- delete ----------------------------------------------------------------------------


@pytest.mark.parametrize("token", ADMIN_TOKENS)
async def test_admin_cannot_delete_a_group_holding_org_owner(
    client: httpx.AsyncClient, token: str
) -> None:
    response = await client.delete(group_url(OWNERS), headers=headers(token))
    assert_boundary_refusal(response)
    assert member_ids(await read_group(client, OWNERS)) == [OWNER]


async def test_admin_cannot_delete_a_group_with_an_org_owner_binding(
    client: httpx.AsyncClient,
) -> None:
    await patch_as_owner(client, ENGINEERING, [binding("org_owner", rule("nobody"))])
    response = await client.delete(group_url(), headers=headers(DIRECT_ADMIN_TOKEN))
    assert_boundary_refusal(response)
    assert roles_of(await read_group(client)) == ["org_owner"]


async def test_admin_may_delete_a_group_below_it(client: httpx.AsyncClient) -> None:
    response = await client.delete(group_url(), headers=headers(DIRECT_ADMIN_TOKEN))
    assert response.status_code == 204, response.text
    gone = await client.get(group_url(), headers=headers())
    assert_error(gone, 404)


async def test_owner_may_delete_a_group_holding_org_owner(client: httpx.AsyncClient) -> None:
    response = await client.delete(group_url(OWNERS), headers=headers())
    assert response.status_code == 204, response.text


async def set_owner_window(
    session: AsyncSession, starts: dt.timedelta | None, ends: dt.timedelta | None
) -> None:
    now = dt.datetime.now(dt.UTC)
    await session.execute(
        update(RoleAssignment)
        .where(RoleAssignment.group_id == uuid.UUID(OWNERS))
        .values(
            starts_at=now + starts if starts is not None else None,
            ends_at=now + ends if ends is not None else None,
        )
    )
    await session.commit()


async def test_admin_cannot_delete_a_group_whose_org_owner_role_starts_later(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await set_owner_window(session, starts=dt.timedelta(days=1), ends=None)
    response = await client.delete(group_url(OWNERS), headers=headers(DIRECT_ADMIN_TOKEN))
    assert_boundary_refusal(response)
    assert member_ids(await read_group(client, OWNERS)) == [OWNER]


async def test_admin_may_delete_a_group_whose_org_owner_role_has_ended(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await set_owner_window(session, starts=None, ends=-dt.timedelta(minutes=1))
    response = await client.delete(group_url(OWNERS), headers=headers(DIRECT_ADMIN_TOKEN))
    assert response.status_code == 204, response.text


# --- what "holds" means ----------------------------------------------------------------


async def test_a_conditional_owner_binding_that_does_not_match_grants_nothing_to_give(
    client: httpx.AsyncClient,
) -> None:
    # GROUP_ADMIN's group now binds org_owner on a department it does not have.
    await patch_as_owner(client, ADMINS, [binding("org_owner", rule("board"))])
    response = await client.delete(group_url(OWNERS), headers=headers(GROUP_ADMIN_TOKEN))
    assert_boundary_refusal(response)
    assert member_ids(await read_group(client, OWNERS)) == [OWNER]


async def test_a_conditional_owner_binding_that_matches_counts_as_held(
    client: httpx.AsyncClient,
) -> None:
    # MEMBER (department field) becomes owner through a binding that matches it.
    await patch_as_owner(client, ENGINEERING, [binding("org_owner", rule("field"))])
    response = await client.patch(
        members_url(OWNERS), json=users_body(OWNER, DEV), headers=headers(MEMBER_TOKEN)
    )
    assert response.status_code == 200, response.text
    assert member_ids(await read_group(client, OWNERS)) == sorted([OWNER, DEV])


# --- other tenants -------------------------------------------------------------------


async def test_another_orgs_owner_cannot_change_this_orgs_owner_group(
    client: httpx.AsyncClient,
) -> None:
    for response in (
        await client.patch(members_url(OWNERS), json=users_body(), headers=headers(OUTSIDER_TOKEN)),
        await client.delete(group_url(OWNERS), headers=headers(OUTSIDER_TOKEN)),
    ):
        assert_error(response, 403)
    assert member_ids(await read_group(client, OWNERS)) == [OWNER]


async def test_admin_cannot_reach_another_orgs_group(client: httpx.AsyncClient) -> None:
    url = f"/v3/orgs/{OTHER_ORG}/iam/groups/{THEIRS}"
    response = await client.delete(url, headers=headers(DIRECT_ADMIN_TOKEN))
    assert_error(response, 403)
    still = await client.get(url, headers=headers(OUTSIDER_TOKEN))
    assert still.status_code == 200, still.text

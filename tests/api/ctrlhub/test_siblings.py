"""Create, list, get, delete, members and the role catalogue: the siblings of endpoint E."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac.catalogue import ORG_ROLES
from rolegate.rbac.models import AuditEvent, GroupMember, RoleAssignment
from tests.api.ctrlhub.conftest import (
    ADMINS,
    DEV,
    EMPTY,
    ENGINEERING,
    GROUP_ADMIN,
    JSONAPI,
    LONER,
    MEMBER,
    MEMBER_TOKEN,
    ORG,
    OUTSIDER,
    OUTSIDER_TOKEN,
    THEIRS,
    assert_error,
    binding,
    group_url,
    headers,
    read_group,
    rule,
)

pytestmark = pytest.mark.usefixtures("world")

GROUPS = f"/v3/orgs/{ORG}/iam/groups"


def create_body(name: str = "Site Leads", **attributes: Any) -> dict[str, Any]:
    return {"data": {"type": "groups", "attributes": {"name": name, **attributes}}}


def members_url(group: str = ENGINEERING) -> str:
    return group_url(group) + "/relationships/members"


def users_body(*ids: str) -> dict[str, Any]:
    return {"data": [{"type": "users", "id": i} for i in ids]}


async def test_create_returns_201_with_location_and_the_document(
    client: httpx.AsyncClient,
) -> None:
    body = create_body(
        description="Leads of every site", bindings=[binding("auditor", rule("field"))]
    )
    response = await client.post(GROUPS, json=body, headers=headers())
    assert response.status_code == 201, response.text
    assert response.headers["content-type"] == JSONAPI
    doc = response.json()
    group_id = doc["data"]["id"]
    assert response.headers["location"] == f"/v3/orgs/{ORG}/iam/groups/{group_id}"
    assert doc["data"]["attributes"]["name"] == "Site Leads"
    assert [b["role"] for b in doc["data"]["attributes"]["bindings"]] == ["auditor"]
    assert doc["data"]["relationships"]["users"] == {"data": []}
    assert doc["included"] == []
    assert (await read_group(client, group_id))["data"] == doc["data"]


async def test_create_honours_a_client_generated_id_once(client: httpx.AsyncClient) -> None:
    new_id = str(uuid.uuid4())
    body = create_body()
    body["data"]["id"] = new_id
    first = await client.post(GROUPS, json=body, headers=headers())
    assert first.status_code == 201, first.text
    assert first.json()["data"]["id"] == new_id
    again = await client.post(GROUPS, json=body, headers=headers())
    assert_error(again, 409)


async def test_create_with_a_taken_name_gets_its_own_group(client: httpx.AsyncClient) -> None:
    first = await client.post(GROUPS, json=create_body("Engineering"), headers=headers())
    assert first.status_code == 201, first.text
    assert first.json()["data"]["id"] != ENGINEERING


@pytest.mark.parametrize(
    ("body", "status", "pointer"),
    [
        ({"data": {"type": "groups", "attributes": {}}}, 400, "/data/attributes/name"),
        ({"data": {"type": "groups"}}, 400, "/data/attributes"),
        ({"data": {"attributes": {"name": "x"}}}, 400, "/data/type"),
        ({"data": {"type": "teams", "attributes": {"name": "x"}}}, 409, "/data/type"),
        (create_body(bindings=[binding("god")]), 400, "/data/attributes/bindings/0/role"),
        (
            {"data": {"type": "groups", "id": "nope", "attributes": {"name": "x"}}},
            400,
            "/data/id",
        ),
    ],
)
async def test_refused_create_writes_nothing(
    client: httpx.AsyncClient, body: dict[str, Any], status: int, pointer: str
) -> None:
    before = (await client.get(GROUPS, headers=headers())).json()
    response = await client.post(GROUPS, json=body, headers=headers())
    assert_error(response, status, pointer)
    assert (await client.get(GROUPS, headers=headers())).json() == before


async def test_list_returns_the_orgs_groups_with_each_linked_user_included_once(
    client: httpx.AsyncClient,
) -> None:
    # MEMBER is in two groups: linked from both, included once.
    await client.patch(members_url(ADMINS), json=users_body(GROUP_ADMIN, MEMBER), headers=headers())
    response = await client.get(GROUPS, headers=headers())
    assert response.status_code == 200, response.text
    doc = response.json()
    assert [g["attributes"]["name"] for g in doc["data"]] == ["Admins", "Empty", "Engineering"]
    assert THEIRS not in {g["id"] for g in doc["data"]}
    linked = {u["id"] for g in doc["data"] for u in g["relationships"]["users"]["data"]}
    included = [u["id"] for u in doc["included"]]
    assert sorted(included) == sorted(linked) == sorted([GROUP_ADMIN, MEMBER, DEV])


async def test_included_users_carry_profile_grants_and_organisation(
    client: httpx.AsyncClient,
) -> None:
    await client.patch(
        group_url(),
        json={
            "data": {
                "type": "groups",
                "id": ENGINEERING,
                "attributes": {
                    "bindings": [
                        binding("support_user", rule("field")),
                        binding("org_admin", rule("nope")),
                    ]
                },
            }
        },
        headers=headers(),
    )
    doc = await read_group(client)
    users = {u["id"]: u for u in doc["included"]}
    assert set(users) == {MEMBER, DEV}
    member = users[MEMBER]
    assert member["type"] == "users"
    assert member["attributes"] == {
        "email": "member@acme.test",
        "identities": [],
        "profile": {"work": {"occupation": "Engineer"}},
    }
    # Direct CSP role, the group's CSP roles, and the binding whose condition matches.
    assert member["meta"]["grants"] == ["developer", "org_member", "support_user", "auditor"]
    assert users[DEV]["meta"]["grants"] == ["developer", "auditor"]
    assert member["relationships"] == {
        "organisations": {"data": [{"id": ORG, "type": "organisations"}]},
        "teams": {"data": []},
    }


async def test_get_of_group_without_members_has_empty_linkage_and_included(
    client: httpx.AsyncClient,
) -> None:
    doc = await read_group(client, EMPTY)
    assert doc["data"]["relationships"]["users"] == {"data": []}
    assert doc["included"] == []


async def test_members_patch_replaces_members_and_returns_linkage(
    client: httpx.AsyncClient,
) -> None:
    response = await client.patch(members_url(), json=users_body(LONER, MEMBER), headers=headers())
    assert response.status_code == 200, response.text
    doc = response.json()
    assert {(u["type"], u["id"]) for u in doc["data"]} == {("users", LONER), ("users", MEMBER)}
    assert sorted(u["id"] for u in doc["included"]) == sorted([LONER, MEMBER])
    group = await read_group(client)
    assert sorted(u["id"] for u in group["data"]["relationships"]["users"]["data"]) == sorted(
        [LONER, MEMBER]
    )
    assert sorted(u["id"] for u in group["included"]) == sorted([LONER, MEMBER])


async def test_members_patch_with_empty_list_empties_the_group(client: httpx.AsyncClient) -> None:
    response = await client.patch(members_url(), json={"data": []}, headers=headers())
    assert response.status_code == 200, response.text
    assert (await read_group(client))["included"] == []


@pytest.mark.parametrize(
    ("body", "status", "pointer"),
    [
        (users_body(MEMBER, OUTSIDER), 404, "/data/1/id"),
        (users_body(str(uuid.uuid4())), 404, "/data/0/id"),
        (users_body(MEMBER, "nope"), 400, "/data/1/id"),
        ({"data": [{"type": "groups", "id": MEMBER}]}, 409, "/data/0/type"),
        (users_body(MEMBER, MEMBER), 400, "/data/1/id"),
        ({"data": None}, 400, "/data"),
        ({"data": [{"type": "users"}]}, 400, "/data/0/id"),
    ],
)
async def test_refused_members_patch_changes_nothing(
    client: httpx.AsyncClient, body: dict[str, Any], status: int, pointer: str
) -> None:
    before = await read_group(client)
    response = await client.patch(members_url(), json=body, headers=headers())
    assert_error(response, status, pointer)
    assert await read_group(client) == before


async def test_members_patch_needs_iam_admin(client: httpx.AsyncClient) -> None:
    before = await read_group(client)
    response = await client.patch(
        members_url(), json=users_body(MEMBER), headers=headers(MEMBER_TOKEN)
    )
    assert_error(response, 403)
    assert await read_group(client) == before


async def test_delete_is_204_and_removes_the_group_on_every_surface(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    response = await client.delete(group_url(), headers=headers())
    assert response.status_code == 204, response.text
    assert response.content == b""
    assert response.headers["x-trace-id"]
    assert_error(await client.get(group_url(), headers=headers()), 404)
    gid = uuid.UUID(ENGINEERING)
    assert (
        await session.execute(select(RoleAssignment).where(RoleAssignment.group_id == gid))
    ).first() is None
    assert (
        await session.execute(select(GroupMember).where(GroupMember.group_id == gid))
    ).first() is None
    event = (
        await session.execute(select(AuditEvent).where(AuditEvent.action == "ctrlhub.group.delete"))
    ).scalar_one()
    assert event.before["name"] == "Engineering" and event.after is None


async def test_delete_by_another_org_is_refused_and_keeps_the_group(
    client: httpx.AsyncClient,
) -> None:
    assert_error(await client.delete(group_url(), headers=headers(OUTSIDER_TOKEN)), 403)
    assert_error(await client.delete(group_url(THEIRS), headers=headers()), 404)
    await read_group(client)


async def test_roles_catalogue_lists_fixed_and_custom_roles_of_the_callers_org(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/v3/roles", headers=headers(MEMBER_TOKEN))
    assert response.status_code == 200, response.text
    doc = response.json()
    assert doc["jsonapi"] == {"version": "1.0"}
    assert all(r["type"] == "roles" for r in doc["data"])
    names = [r["attributes"]["name"] for r in doc["data"]]
    assert names == [*ORG_ROLES, "auditor"]
    auditor = doc["data"][-1]
    assert auditor["attributes"] == {
        "name": "auditor",
        "description": "Reads audit logs",
        "custom": True,
    }
    uuid.UUID(auditor["id"])

    theirs = (await client.get("/v3/roles", headers=headers(OUTSIDER_TOKEN))).json()
    assert [r["attributes"]["name"] for r in theirs["data"]] == list(ORG_ROLES)


async def test_roles_catalogue_needs_a_session(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/v3/roles"), 401)


async def test_list_and_get_need_iam_admin(client: httpx.AsyncClient) -> None:
    assert_error(await client.get(GROUPS, headers=headers(MEMBER_TOKEN)), 403)
    assert_error(await client.get(group_url(), headers=headers(MEMBER_TOKEN)), 403)


async def test_get_of_another_orgs_group_under_our_org_is_404(client: httpx.AsyncClient) -> None:
    """The group is looked up in the path's org: another org's id is not found there."""
    body = assert_error(await client.get(group_url(THEIRS), headers=headers()), 404)
    assert THEIRS in json.dumps(body)
    await read_group(client)

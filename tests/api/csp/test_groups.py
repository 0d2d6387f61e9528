"""CSP groups: GET a group, list them (paged), create one."""

from __future__ import annotations

import uuid

import httpx

from tests.api.csp.conftest import (
    CONSOLE,
    ENGINEERING,
    ORG,
    OTHER_ORG,
    Tokens,
    assert_csp_error,
    csp,
    roles_url,
)

GROUPS = f"/csp/gateway/am/api/orgs/{ORG}/groups"


async def test_get_group_returns_the_documented_shape_with_its_roles(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    body = {"serviceRoles": [{"serviceDefinitionId": CONSOLE, "roleNamesToAdd": ["service:user"]}]}
    assert (
        await client.patch(roles_url(), json=body, headers=csp(tokens.owner))
    ).status_code == 200

    response = await client.get(f"{GROUPS}/{ENGINEERING}", headers=csp(tokens.admin))

    assert response.status_code == 200, response.text
    group = response.json()
    assert set(group) == {
        "id",
        "displayName",
        "description",
        "domain",
        "groupType",
        "ownerOrgId",
        "usersCount",
        "customRoles",
        "organizationRoles",
        "serviceRoles",
    }
    assert group["id"] == ENGINEERING and group["displayName"] == "Engineering"
    assert group["description"] == "Builds things"
    assert group["groupType"] == "USER_GROUP" and group["ownerOrgId"] == ORG
    assert group["domain"] == "acme"
    assert group["usersCount"] == 2
    assert [r["name"] for r in group["organizationRoles"]] == ["org_member", "support_user"]
    assert [r["name"] for r in group["customRoles"]] == ["auditor", "viewer-plus"]
    assert group["serviceRoles"][0]["serviceRoleNames"] == ["service:user"]


async def test_get_group_of_another_org_is_404(client: httpx.AsyncClient, tokens: Tokens) -> None:
    response = await client.get(f"{GROUPS}/{uuid.uuid4()}", headers=csp(tokens.owner))
    assert assert_csp_error(response, 404)["message"] == "Group with this identifier is not found."


async def test_list_groups_pages_with_links(client: httpx.AsyncClient, tokens: Tokens) -> None:
    first = await client.get(GROUPS, params={"pageLimit": 3}, headers=csp(tokens.owner))

    assert first.status_code == 200, first.text
    page = first.json()
    assert page["totalResults"] == 4
    assert [g["displayName"] for g in page["results"]] == ["Empty", "Engineering", "Lapsed owners"]
    assert page["prevLink"] is None
    assert page["nextLink"] == f"{GROUPS}?pageStart=4&pageLimit=3"

    second = (await client.get(page["nextLink"], headers=csp(tokens.owner))).json()
    assert [g["displayName"] for g in second["results"]] == ["Owners"]
    assert second["nextLink"] is None
    assert second["prevLink"] == f"{GROUPS}?pageStart=1&pageLimit=3"
    assert second["results"][0]["usersCount"] == 1


async def test_list_groups_rejects_a_bad_page_size_with_400(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    response = await client.get(GROUPS, params={"pageLimit": 0}, headers=csp(tokens.owner))
    assert "pageLimit" in assert_csp_error(response, 400)["message"]


async def test_a_page_start_past_javas_int_range_is_400_not_500(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    last = await client.get(GROUPS, params={"pageStart": 2**31 - 1}, headers=csp(tokens.owner))
    assert last.status_code == 200, last.text
    assert last.json()["results"] == []
    response = await client.get(
        GROUPS, params={"pageStart": 90147590437544656896000}, headers=csp(tokens.owner)
    )
    assert "pageStart" in assert_csp_error(response, 400)["message"]


async def test_list_groups_is_for_owners_and_admins_of_that_org(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    assert (await client.get(GROUPS, headers=csp(tokens.admin))).status_code == 200
    assert_csp_error(await client.get(GROUPS, headers=csp(tokens.member)), 403)
    assert_csp_error(await client.get(GROUPS, headers=csp(tokens.other_owner)), 403)


async def test_create_group_then_give_it_roles(client: httpx.AsyncClient, tokens: Tokens) -> None:
    response = await client.post(
        GROUPS,
        json={"displayName": "Release Team", "description": "Ships it"},
        headers=csp(tokens.owner),
    )

    assert response.status_code == 201, response.text
    created = response.json()
    assert created["displayName"] == "Release Team" and created["usersCount"] == 0
    assert created["organizationRoles"] == [] and created["ownerOrgId"] == ORG
    group_id = created["id"]
    patch = {"organizationRoles": {"roleNamesToAdd": ["developer"]}}
    assert (
        await client.patch(roles_url(ORG, group_id), json=patch, headers=csp(tokens.owner))
    ).status_code == 200
    read = (await client.get(f"{GROUPS}/{group_id}", headers=csp(tokens.owner))).json()
    assert read["description"] == "Ships it"
    assert [r["name"] for r in read["organizationRoles"]] == ["developer"]


async def test_create_group_with_a_taken_name_is_409(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    response = await client.post(
        GROUPS, json={"displayName": "engineering"}, headers=csp(tokens.owner)
    )
    assert assert_csp_error(response, 409)["errorCode"] == "CONFLICT"
    page = (await client.get(GROUPS, headers=csp(tokens.owner))).json()
    assert page["totalResults"] == 4


async def test_create_group_needs_an_owner_of_that_org(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    for token, url in (
        (tokens.admin, GROUPS),
        (tokens.other_owner, GROUPS),
        (tokens.owner, f"/csp/gateway/am/api/orgs/{OTHER_ORG}/groups"),
    ):
        assert_csp_error(
            await client.post(url, json={"displayName": "Nope"}, headers=csp(token)), 403
        )
    assert (await client.get(GROUPS, headers=csp(tokens.owner))).json()["totalResults"] == 4


async def test_create_group_without_a_display_name_is_400(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    for body in ({}, {"displayName": "   "}):
        response = await client.post(GROUPS, json=body, headers=csp(tokens.owner))
        assert "displayName" in assert_csp_error(response, 400)["message"]

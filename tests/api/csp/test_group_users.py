"""CSP group members: ``GET …/orgs/{orgId}/groups/{groupId}/users``, paged like the groups."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac.models import GroupMember
from tests.api.csp.conftest import (
    ADMIN,
    EMPTY_GROUP,
    ENGINEERING,
    GROUP_OWNER,
    MEMBER,
    ORG,
    OTHER_GROUP,
    OTHER_ORG,
    OWNER,
    Tokens,
    assert_csp_error,
    csp,
)

GROUPS = f"/csp/gateway/am/api/orgs/{ORG}/groups"


def users_url(group: str = ENGINEERING, org: str = ORG) -> str:
    return f"/csp/gateway/am/api/orgs/{org}/groups/{group}/users"


async def test_members_page_with_links_like_the_groups_list(
    client: httpx.AsyncClient, tokens: Tokens, session: AsyncSession
) -> None:
    await session.execute(
        insert(GroupMember),
        [{"group_id": ENGINEERING, "user_id": uid} for uid in (OWNER, ADMIN, GROUP_OWNER)],
    )
    await session.commit()
    url = users_url()

    first = await client.get(url, params={"pageLimit": 3}, headers=csp(tokens.admin))

    assert first.status_code == 200, first.text
    page = first.json()
    assert page["totalResults"] == 5
    assert [u["email"] for u in page["results"]] == [
        "admin@acme.test",
        "dev@acme.test",
        "group-owner@acme.test",
    ]
    assert page["prevLink"] is None
    assert page["nextLink"] == f"{url}?pageStart=4&pageLimit=3"
    second = (await client.get(page["nextLink"], headers=csp(tokens.admin))).json()
    assert [u["email"] for u in second["results"]] == ["member@acme.test", "owner@acme.test"]
    assert second["nextLink"] is None
    assert second["prevLink"] == f"{url}?pageStart=1&pageLimit=3"
    # The count the group itself shows is the same membership.
    group = (await client.get(f"{GROUPS}/{ENGINEERING}", headers=csp(tokens.admin))).json()
    assert group["usersCount"] == 5


async def test_member_fields_are_the_documented_user_shape(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    response = await client.get(users_url(), params={"pageStart": 2}, headers=csp(tokens.owner))

    assert response.status_code == 200, response.text
    assert response.json()["results"] == [
        {
            "userId": MEMBER,
            "username": "member@acme.test",
            "email": "member@acme.test",
            "firstName": None,
            "lastName": None,
            "domain": "acme.test",
            "acct": "member@acme.test",
        }
    ]


async def test_a_group_without_members_is_an_empty_page(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    response = await client.get(users_url(EMPTY_GROUP), headers=csp(tokens.owner))

    assert response.status_code == 200, response.text
    assert response.json() == {
        "results": [],
        "totalResults": 0,
        "nextLink": None,
        "prevLink": None,
    }


async def test_members_of_a_new_group_read_back_empty(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    created = await client.post(GROUPS, json={"displayName": "Fresh"}, headers=csp(tokens.owner))
    assert created.status_code == 201, created.text

    response = await client.get(users_url(created.json()["id"]), headers=csp(tokens.owner))

    assert response.status_code == 200 and response.json()["totalResults"] == 0


async def test_members_are_for_owners_and_admins_of_that_org(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    assert (await client.get(users_url(), headers=csp(tokens.admin))).status_code == 200
    # An org member, or the owner of another org, reads no one's membership here.
    assert_csp_error(await client.get(users_url(), headers=csp(tokens.member)), 403)
    assert_csp_error(await client.get(users_url(), headers=csp(tokens.other_owner)), 403)
    # The owner of this org reads nothing in the other org, even a group id it names.
    other = users_url(OTHER_GROUP, OTHER_ORG)
    assert_csp_error(await client.get(other, headers=csp(tokens.owner)), 403)


async def test_a_group_of_another_org_or_unknown_is_404(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    for group in (OTHER_GROUP, str(uuid.uuid4()), "not-a-guid"):
        response = await client.get(users_url(group), headers=csp(tokens.owner))
        assert assert_csp_error(response, 404)["message"] == (
            "Group with this identifier is not found."
        )
    unknown_org = users_url(ENGINEERING, str(uuid.uuid4()))
    response = await client.get(unknown_org, headers=csp(tokens.owner))
    assert assert_csp_error(response, 404)["message"] == (
        "Organization with this identifier is not found."
    )


async def test_members_without_a_token_is_401(client: httpx.AsyncClient, world: None) -> None:
    assert_csp_error(await client.get(users_url()), 401)


async def test_a_bad_page_size_or_start_is_400(client: httpx.AsyncClient, tokens: Tokens) -> None:
    for params, field in (({"pageLimit": 0}, "pageLimit"), ({"pageStart": 0}, "pageStart")):
        response = await client.get(users_url(), params=params, headers=csp(tokens.owner))
        assert field in assert_csp_error(response, 400)["message"]

"""ctrl-hub's TypeScript SDK against rolegate: the role catalogue and organisation members."""

from __future__ import annotations

import httpx

from rolegate.rbac.catalogue import ORG_ROLES
from tests.api.ctrlhub.conftest import (
    DEV,
    GROUP_ADMIN,
    JSONAPI,
    LONER,
    MEMBER,
    MEMBER_TOKEN,
    ORG,
    OTHER_ORG,
    OUTSIDER_TOKEN,
    OWNER,
    OWNER_TOKEN,
    assert_error,
)
from tests.api.ctrlhub.sdk_client import SdkClient


def sdk(client: httpx.AsyncClient, token: str = OWNER_TOKEN, org: str = ORG) -> SdkClient:
    # The SDK's public bearerToken, set to a session token (the SDK forwards what it holds).
    return SdkClient(http=client, organisation_id=org, bearer_token=token)


async def test_sdk_reads_the_role_catalogue_at_v3_iam_roles(
    client: httpx.AsyncClient, world: None
) -> None:
    response = await sdk(client, MEMBER_TOKEN).roles()

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(JSONAPI)
    doc = response.json()
    assert [r["type"] for r in doc["data"]] == ["roles"] * (len(ORG_ROLES) + 1)
    assert [r["attributes"]["name"] for r in doc["data"]] == [*ORG_ROLES, "auditor"]
    assert doc["data"][-1]["attributes"]["custom"] is True
    # /v3/roles, the alias, answers the same document.
    alias = await client.get("/v3/roles", headers={"X-Session-Token": MEMBER_TOKEN})
    assert alias.json() == doc


async def test_v3_iam_roles_needs_a_session(client: httpx.AsyncClient, world: None) -> None:
    assert_error(await sdk(client, "").roles(), 401)
    assert_error(await sdk(client, "ses-not-a-token").roles(), 401)


async def test_sdk_lists_organisation_members_with_their_grants(
    client: httpx.AsyncClient, world: None
) -> None:
    response = await sdk(client).organisation_members()

    assert response.status_code == 200, response.text
    doc = response.json()
    assert doc["jsonapi"] == {"version": "1.0"}
    emails = [u["attributes"]["email"] for u in doc["data"]]
    assert emails == [
        "dev@acme.test",
        "groupadmin@acme.test",
        "loner@acme.test",
        "member@acme.test",
        "owner@acme.test",
    ]
    assert [u["id"] for u in doc["data"]] == [DEV, GROUP_ADMIN, LONER, MEMBER, OWNER]
    owner = doc["data"][-1]
    # What the SDK's User model reads: type users, attributes email/identities/profile.
    assert owner["type"] == "users"
    assert owner["attributes"] == {
        "email": "owner@acme.test",
        "identities": [],
        "profile": {"personal": {"first_name": "Olive", "last_name": "Owner"}},
    }
    assert owner["meta"] == {"grants": ["org_owner"]}
    assert owner["relationships"]["organisations"]["data"] == [{"id": ORG, "type": "organisations"}]
    by_id = {u["id"]: u for u in doc["data"]}
    assert by_id[GROUP_ADMIN]["meta"]["grants"] == ["org_admin"]  # through the Admins group
    assert doc["meta"] == {
        "pagination": {
            "current_page": 1,
            "counts": {"resources": 5, "pages": 1},
            "requested": {"offset": 0, "limit": 100},
            "offsets": {"previous": None, "next": None},
            "offset": 0,
            "limit": 100,
            "total": 5,
        }
    }
    assert doc["links"]["next"] is None and doc["links"]["prev"] is None


async def test_sdk_request_options_page_the_members(client: httpx.AsyncClient, world: None) -> None:
    options = {"limit": 2, "offset": 2, "sort": [{"key": "email"}], "include": ["teams"]}

    response = await sdk(client).organisation_members(options)

    assert response.status_code == 200, response.text
    doc = response.json()
    assert [u["id"] for u in doc["data"]] == [LONER, MEMBER]
    assert doc["meta"]["pagination"] == {
        "current_page": 2,
        "counts": {"resources": 5, "pages": 3},
        "requested": {"offset": 2, "limit": 2},
        "offsets": {"previous": 0, "next": 4},
        "offset": 2,
        "limit": 2,
        "total": 5,
    }
    path = f"/v3/orgs/{ORG}/iam/members"
    assert doc["links"] == {
        "self": f"{path}?limit=2&offset=2",
        "next": f"{path}?limit=2&offset=4",
        "prev": f"{path}?limit=2&offset=0",
    }
    last = (await client.get(doc["links"]["next"], headers={"X-Session-Token": OWNER_TOKEN})).json()
    assert [u["id"] for u in last["data"]] == [OWNER] and last["links"]["next"] is None


async def test_members_need_iam_administration_of_that_org(
    client: httpx.AsyncClient, world: None
) -> None:
    assert_error(await sdk(client, MEMBER_TOKEN).organisation_members(), 403)
    # Another org's owner reads nothing here; its own org answers only its own users.
    assert_error(await sdk(client, OUTSIDER_TOKEN).organisation_members(), 403)
    theirs = (await sdk(client, OUTSIDER_TOKEN, OTHER_ORG).organisation_members()).json()
    assert [u["attributes"]["email"] for u in theirs["data"]] == ["owner@other.test"]
    assert_error(await sdk(client, OWNER_TOKEN, OTHER_ORG).organisation_members(), 403)


async def test_members_of_an_unknown_org_is_404_and_no_token_401(
    client: httpx.AsyncClient, world: None
) -> None:
    unknown = "00000000-0000-4000-8000-00000000c0ff"
    assert_error(await sdk(client, OWNER_TOKEN, unknown).organisation_members(), 404)
    assert_error(await sdk(client, "").organisation_members(), 401)


async def test_a_bad_limit_or_offset_is_400(client: httpx.AsyncClient, world: None) -> None:
    for query in ("limit=0", "limit=101", "offset=-1", "limit=ten"):
        response = await client.get(
            f"/v3/orgs/{ORG}/iam/members?{query}", headers={"X-Session-Token": OWNER_TOKEN}
        )
        assert_error(response, 400)

"""Group names across surfaces: CSP's are unique in the org, ctrl-hub's need not be."""

from __future__ import annotations

import copy
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.api.csp.conftest import API_TOKENS, ORG, WORLD, assert_csp_error, csp, exchange
from tests.conftest import seed_into

GROUPS = f"/csp/gateway/am/api/orgs/{ORG}/groups"
SESSION = "ses-csp-owner"
JSONAPI = "application/vnd.api+json"
CTRLHUB = {"X-Session-Token": SESSION, "Content-Type": JSONAPI, "Accept": JSONAPI}


def world_with_a_ctrlhub_session() -> dict[str, Any]:
    world = copy.deepcopy(WORLD)
    world["organizations"][0]["users"][0]["session_tokens"] = [SESSION]
    return world


async def _create(client: httpx.AsyncClient, token: str, name: str) -> str:
    response = await client.post(GROUPS, json={"displayName": name}, headers=csp(token))
    assert response.status_code == 201, response.text
    group_id: str = response.json()["id"]
    return group_id


async def test_ctrlhub_may_rename_a_csp_group_to_another_csp_groups_name(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await seed_into(session, world_with_a_ctrlhub_session())
    token = await exchange(client, API_TOKENS["owner"])
    alpha = await _create(client, token, "Alpha")
    beta = await _create(client, token, "Beta")
    url = f"/v3/orgs/{ORG}/iam/groups/{beta}"

    renamed = await client.patch(
        url,
        json={"data": {"type": "groups", "id": beta, "attributes": {"name": "ALPHA"}}},
        headers=CTRLHUB,
    )

    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["data"]["attributes"]["name"] == "ALPHA"
    page = (await client.get(GROUPS, params={"pageLimit": 200}, headers=csp(token))).json()
    both = {g["id"]: g["displayName"] for g in page["results"] if g["id"] in {alpha, beta}}
    assert both == {alpha: "Alpha", beta: "ALPHA"}
    # CSP still refuses a third group of that name.
    again = await client.post(GROUPS, json={"displayName": "alpha"}, headers=csp(token))
    assert assert_csp_error(again, 409)["errorCode"] == "CONFLICT"


async def test_ctrlhub_may_create_a_group_named_like_a_csp_group(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await seed_into(session, world_with_a_ctrlhub_session())
    token = await exchange(client, API_TOKENS["owner"])
    await _create(client, token, "Gamma")

    created = await client.post(
        f"/v3/orgs/{ORG}/iam/groups",
        json={"data": {"type": "groups", "attributes": {"name": "gamma"}}},
        headers=CTRLHUB,
    )

    assert created.status_code == 201, created.text
    assert created.json()["data"]["attributes"]["name"] == "gamma"

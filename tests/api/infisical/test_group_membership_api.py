"""The membership API, /api/v1/projects/{projectId}/memberships/groups[/{groupId}].

Same bodies as the deprecated v2 routes, the same store (a write through one family is
what the other reads), and upstream's stricter ids: a groupId that is not a UUID is a 422.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.infisical.conftest import ADMINS, ENGINEERING, LOOSE_GROUP, PROJECT, Tokens
from tests.conftest import bearer

V1 = f"/api/v1/projects/{PROJECT}/memberships/groups"
V2 = f"/api/v2/workspace/{PROJECT}/groups"


def role_names(membership: dict[str, Any]) -> list[str]:
    return [r["customRoleSlug"] or r["role"] for r in membership["roles"]]


async def test_create_then_read_through_both_families(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    created = await client.post(
        f"{V1}/{LOOSE_GROUP}",
        json={"roles": [{"role": "viewer", "isTemporary": False}]},
        headers=bearer(tokens.admin),
    )
    assert created.status_code == 200, created.text
    membership = created.json()["groupMembership"]
    assert membership["projectId"] == PROJECT and membership["groupId"] == LOOSE_GROUP
    assert membership["group"]["name"] == "Loose"
    assert role_names(membership) == ["viewer"]

    v1 = (await client.get(f"{V1}/{LOOSE_GROUP}", headers=bearer(tokens.admin))).json()
    v2 = (await client.get(f"{V2}/{LOOSE_GROUP}", headers=bearer(tokens.admin))).json()
    assert v1["groupMembership"]["id"] == v2["groupMembership"]["id"] == membership["id"]
    assert role_names(v2["groupMembership"]) == ["viewer"]


async def test_create_falls_back_to_role(client: httpx.AsyncClient, tokens: Tokens) -> None:
    created = await client.post(
        f"{V1}/{LOOSE_GROUP}", json={"role": "member"}, headers=bearer(tokens.admin)
    )
    assert created.status_code == 200, created.text
    assert role_names(created.json()["groupMembership"]) == ["member"]


async def test_patch_replaces_roles_seen_by_the_v2_read(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    response = await client.patch(
        f"{V1}/{ENGINEERING}",
        json={
            "roles": [
                {"role": "viewer", "isTemporary": False},
                {
                    "role": "secret-reader",
                    "isTemporary": True,
                    "temporaryMode": "relative",
                    "temporaryRange": "2h",
                    "temporaryAccessStartTime": "2026-12-02T10:00:00.000000001Z",
                },
            ]
        },
        headers=bearer(tokens.admin),
    )
    assert response.status_code == 200, response.text
    rows = response.json()["roles"]
    assert [r["role"] for r in rows] == ["viewer", "custom"]
    assert rows[1]["temporaryAccessEndTime"] == "2026-12-02T12:00:00.000Z"
    assert response.headers["ETag"]
    v2 = (await client.get(f"{V2}/{ENGINEERING}", headers=bearer(tokens.admin))).json()
    assert role_names(v2["groupMembership"]) == ["viewer", "secret-reader"]
    v1 = await client.get(f"{V1}/{ENGINEERING}", headers=bearer(tokens.admin))
    assert v1.headers["ETag"] == response.headers["ETag"]


async def test_list_answers_every_group_with_its_project(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    response = await client.get(V1, headers=bearer(tokens.viewer))
    assert response.status_code == 200, response.text
    memberships = response.json()["groupMemberships"]
    assert {m["groupId"] for m in memberships} == {ENGINEERING, ADMINS}
    assert {m["projectId"] for m in memberships} == {PROJECT}


async def test_delete_removes_the_membership_for_both_families(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    response = await client.delete(f"{V1}/{ENGINEERING}", headers=bearer(tokens.admin))
    assert response.status_code == 200, response.text
    assert response.json()["groupMembership"]["groupId"] == ENGINEERING
    assert (
        await client.get(f"{V2}/{ENGINEERING}", headers=bearer(tokens.admin))
    ).status_code == 404
    assert (
        await client.get(f"{V1}/{ENGINEERING}", headers=bearer(tokens.admin))
    ).status_code == 404


@pytest.mark.parametrize("method", ["GET", "POST", "PATCH", "DELETE"])
async def test_a_group_id_that_is_not_a_uuid_is_a_422_and_changes_nothing(
    client: httpx.AsyncClient, tokens: Tokens, method: str
) -> None:
    body = {"roles": [{"role": "viewer"}]} if method in ("POST", "PATCH") else None
    response = await client.request(
        method, f"{V1}/Engineering", json=body, headers=bearer(tokens.admin)
    )
    assert response.status_code == 422, response.text
    payload = response.json()
    assert payload["error"] == "ValidationFailure"
    assert ["path", "groupId"] in [issue["path"] for issue in payload["message"]]
    v2 = (await client.get(f"{V2}/{ENGINEERING}", headers=bearer(tokens.admin))).json()
    assert role_names(v2["groupMembership"]) == ["member"]


async def test_a_project_id_that_is_not_a_uuid_is_a_422(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    response = await client.get(
        "/api/v1/projects/backend/memberships/groups", headers=bearer(tokens.admin)
    )
    assert response.status_code == 422, response.text


async def test_the_v1_routes_need_a_token_and_keep_the_boundary(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    assert (await client.get(V1)).status_code == 401
    refused = await client.patch(
        f"{V1}/{ADMINS}", json={"roles": [{"role": "viewer"}]}, headers=bearer(tokens.limited)
    )
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"] == "PermissionBoundaryError"


async def test_openapi_marks_the_v2_group_routes_deprecated_and_not_the_v1_ones(
    client: httpx.AsyncClient,
) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    v2_item = paths["/api/v2/workspace/{projectId}/groups/{groupId}"]
    assert all(v2_item[m].get("deprecated") is True for m in ("get", "patch", "delete"))
    assert paths["/api/v2/workspace/{projectId}/groups/{groupIdOrName}"]["post"]["deprecated"]
    assert paths["/api/v2/workspace/{projectId}/groups"]["get"]["deprecated"]
    v1_item = paths["/api/v1/projects/{projectId}/memberships/groups/{groupId}"]
    assert not any(v1_item[m].get("deprecated") for m in ("get", "post", "patch", "delete"))

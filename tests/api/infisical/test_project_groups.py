"""Endpoint A: PATCH /api/v2/workspace/{projectId}/groups/{groupId} and its siblings."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
import pytest

from tests.api.infisical.conftest import (
    ADMINS,
    ENGINEERING,
    LOOSE_GROUP,
    OTHER_GROUP,
    OTHER_PROJECT,
    PROJECT,
    Tokens,
)
from tests.conftest import bearer

URL = f"/api/v2/workspace/{PROJECT}/groups/{ENGINEERING}"


async def roles_of(
    client: httpx.AsyncClient, token: str, group: str = ENGINEERING
) -> list[dict[str, Any]]:
    response = await client.get(
        f"/api/v2/workspace/{PROJECT}/groups/{group}", headers=bearer(token)
    )
    assert response.status_code == 200, response.text
    return response.json()["groupMembership"]["roles"]


def slugs(rows: list[dict[str, Any]]) -> list[str]:
    return [r["customRoleSlug"] or r["role"] for r in rows]


def assert_infisical_error(response: httpx.Response, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["statusCode"] == status
    assert body["error"] == error
    assert body["reqId"] and response.headers["x-request-id"] == body["reqId"]
    return body


async def test_seed_doc_body_replaces_roles_and_returns_documented_shape(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    response = await client.patch(
        URL, json={"roles": [{"role": "admin", "isTemporary": False}]}, headers=bearer(tokens.admin)
    )
    assert response.status_code == 200, response.text
    rows = response.json()["roles"]
    assert len(rows) == 1
    row = rows[0]
    assert set(row) >= {
        "id",
        "role",
        "projectMembershipId",
        "customRoleId",
        "isTemporary",
        "temporaryMode",
        "temporaryRange",
        "temporaryAccessStartTime",
        "temporaryAccessEndTime",
        "createdAt",
        "updatedAt",
    }
    assert row["role"] == "admin" and row["isTemporary"] is False
    assert row["customRoleId"] is None and row["temporaryAccessEndTime"] is None
    assert row["createdAt"].endswith("Z") and len(row["createdAt"]) == 24

    membership = (await client.get(URL, headers=bearer(tokens.admin))).json()["groupMembership"]
    assert membership["groupId"] == ENGINEERING
    assert membership["group"] == {"id": ENGINEERING, "name": "Engineering", "slug": "engineering"}
    assert slugs(membership["roles"]) == ["admin"]
    assert membership["roles"][0]["projectMembershipId"] == membership["id"]


async def test_patch_body_is_the_role_rows_its_get_sends_byte_for_byte(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    body = {
        "roles": [
            {"role": "viewer"},
            {"role": "secret-reader"},
            {
                "role": "admin",
                "isTemporary": True,
                "temporaryMode": "relative",
                "temporaryRange": "1h",
                "temporaryAccessStartTime": "2026-01-01T00:00:00.000Z",
            },
        ]
    }
    patched = await client.patch(URL, json=body, headers=bearer(tokens.admin))
    assert patched.status_code == 200, patched.text
    read = await client.get(URL, headers=bearer(tokens.admin))
    # The GET's groupMembership is {id, groupId, group, roles, createdAt, updatedAt}.
    rows = read.content.split(b',"roles":', 1)[1].rsplit(b',"createdAt":', 1)[0]
    assert patched.content == b'{"roles":' + rows + b"}"
    assert patched.headers["content-type"] == read.headers["content-type"]
    assert patched.headers["etag"] == read.headers["etag"]


@pytest.mark.parametrize(
    ("range_", "delta"),
    [
        ("1h", dt.timedelta(hours=1)),
        ("30m", dt.timedelta(minutes=30)),
        ("1d", dt.timedelta(days=1)),
    ],
)
async def test_temporary_window_ends_at_start_plus_range(
    client: httpx.AsyncClient, tokens: Tokens, range_: str, delta: dt.timedelta
) -> None:
    start = "2030-01-02T03:04:05+02:00"
    body = {
        "roles": [
            {"role": "viewer", "isTemporary": False},
            {
                "role": "member",
                "isTemporary": True,
                "temporaryMode": "relative",
                "temporaryRange": range_,
                "temporaryAccessStartTime": start,
            },
        ]
    }
    response = await client.patch(URL, json=body, headers=bearer(tokens.admin))
    assert response.status_code == 200, response.text
    temp = response.json()["roles"][1]
    begins = dt.datetime.fromisoformat(start).astimezone(dt.UTC)
    assert temp["temporaryAccessStartTime"] == begins.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert temp["temporaryAccessEndTime"] == (begins + delta).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert temp["temporaryRange"] == range_ and temp["temporaryMode"] == "relative"
    assert slugs(await roles_of(client, tokens.admin)) == ["viewer", "member"]


async def test_terraform_body_with_empty_temporary_fields_is_accepted(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    body = {
        "projectId": PROJECT,
        "groupId": ENGINEERING,
        "roles": [
            {
                "role": "admin",
                "isTemporary": False,
                "temporaryMode": "",
                "temporaryRange": "",
                "temporaryAccessStartTime": "2024-01-01T00:00:00Z",
            }
        ],
    }
    response = await client.patch(URL, json=body, headers=bearer(tokens.admin))
    assert response.status_code == 200, response.text
    assert response.json()["roles"][0]["temporaryRange"] is None


async def test_custom_role_is_stored_as_custom_with_its_id(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    response = await client.patch(
        URL, json={"roles": [{"role": "secret-reader"}]}, headers=bearer(tokens.admin)
    )
    assert response.status_code == 200, response.text
    row = response.json()["roles"][0]
    assert row["role"] == "custom" and uuid.UUID(row["customRoleId"])
    assert row["customRoleSlug"] == "secret-reader"


async def test_returns_401_token_missing_before_validating_body(client: httpx.AsyncClient) -> None:
    response = await client.patch(
        URL, content=b"{not json", headers={"content-type": "application/json"}
    )
    body = assert_infisical_error(response, 401, "UnauthorizedError")
    assert body["message"] == "Token missing"


@pytest.mark.parametrize("header", ["Bearer not-a-jwt", "Bearer a.b.c", "Bearer "])
async def test_returns_401_token_error_for_invalid_tokens(
    client: httpx.AsyncClient, header: str, tokens: Tokens
) -> None:
    response = await client.patch(
        URL, json={"roles": [{"role": "admin"}]}, headers={"Authorization": header}
    )
    assert response.status_code == 401
    assert response.json()["error"] in {"TokenError", "UnauthorizedError"}


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"roles": []}, ["roles"]),
        ({}, ["roles"]),
        ({"roles": [{"isTemporary": False}]}, ["roles", 0, "role"]),
        (
            {
                "roles": [
                    {
                        "role": "viewer",
                        "isTemporary": True,
                        "temporaryMode": "relative",
                        "temporaryAccessStartTime": "2030-01-01T00:00:00Z",
                    }
                ]
            },
            ["roles", 0, "temporaryRange"],
        ),
        (
            {
                "roles": [
                    {
                        "role": "viewer",
                        "isTemporary": True,
                        "temporaryMode": "relative",
                        "temporaryRange": "0s",
                        "temporaryAccessStartTime": "2030-01-01T00:00:00Z",
                    }
                ]
            },
            ["roles", 0, "temporaryRange"],
        ),
        (
            {
                "roles": [
                    {
                        "role": "viewer",
                        "isTemporary": True,
                        "temporaryMode": "relative",
                        "temporaryRange": "1h",
                        "temporaryAccessStartTime": "yesterday",
                    }
                ]
            },
            ["roles", 0, "temporaryAccessStartTime"],
        ),
        ({"roles": [{"role": "viewer"}, {"role": "viewer"}]}, ["roles", 1, "role"]),
    ],
)
async def test_invalid_body_is_422_with_path_and_changes_nothing(
    client: httpx.AsyncClient, tokens: Tokens, body: dict[str, Any], path: list[Any]
) -> None:
    response = await client.patch(URL, json=body, headers=bearer(tokens.admin))
    payload = assert_infisical_error(response, 422, "ValidationFailure")
    assert path in [issue["path"] for issue in payload["message"]], payload
    assert slugs(await roles_of(client, tokens.admin)) == ["member"]


async def test_project_id_that_is_not_a_uuid_is_422(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    response = await client.patch(
        f"/api/v2/workspace/not-a-uuid/groups/{ENGINEERING}",
        json={"roles": [{"role": "admin"}]},
        headers=bearer(tokens.admin),
    )
    body = assert_infisical_error(response, 422, "ValidationFailure")
    assert body["message"][0]["path"] == ["path", "projectId"]


async def test_unknown_project_is_404(client: httpx.AsyncClient, tokens: Tokens) -> None:
    missing = uuid.uuid4()
    response = await client.patch(
        f"/api/v2/workspace/{missing}/groups/{ENGINEERING}",
        json={"roles": [{"role": "admin"}]},
        headers=bearer(tokens.admin),
    )
    body = assert_infisical_error(response, 404, "NotFound")
    assert body["message"] == f"Failed to find project with ID {missing}"


async def test_project_of_another_org_is_404_for_the_actor(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    response = await client.patch(
        f"/api/v2/workspace/{OTHER_PROJECT}/groups/{OTHER_GROUP}",
        json={"roles": [{"role": "admin"}]},
        headers=bearer(tokens.admin),
    )
    assert_infisical_error(response, 404, "NotFound")


async def test_token_of_another_org_cannot_touch_this_project(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    response = await client.patch(
        URL, json={"roles": [{"role": "admin"}]}, headers=bearer(tokens.outsider)
    )
    assert_infisical_error(response, 404, "NotFound")
    assert slugs(await roles_of(client, tokens.admin)) == ["member"]


async def test_viewer_without_edit_on_groups_is_403_permission_denied(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    response = await client.patch(
        URL, json={"roles": [{"role": "viewer"}]}, headers=bearer(tokens.viewer)
    )
    body = assert_infisical_error(response, 403, "PermissionDenied")
    assert body["message"] == "You are not allowed to edit on groups"
    assert slugs(await roles_of(client, tokens.admin)) == ["member"]


async def test_group_of_another_org_is_404(client: httpx.AsyncClient, tokens: Tokens) -> None:
    response = await client.patch(
        f"/api/v2/workspace/{PROJECT}/groups/{OTHER_GROUP}",
        json={"roles": [{"role": "admin"}]},
        headers=bearer(tokens.admin),
    )
    body = assert_infisical_error(response, 404, "NotFound")
    assert body["message"] == f"Failed to find group with ID {OTHER_GROUP}"


async def test_group_not_in_project_is_404(client: httpx.AsyncClient, tokens: Tokens) -> None:
    response = await client.patch(
        f"/api/v2/workspace/{PROJECT}/groups/{LOOSE_GROUP}",
        json={"roles": [{"role": "admin"}]},
        headers=bearer(tokens.admin),
    )
    body = assert_infisical_error(response, 404, "NotFound")
    assert body["message"] == f"Failed to find group with ID {LOOSE_GROUP}"


async def test_unknown_role_slug_is_404_and_changes_nothing(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    response = await client.patch(
        URL, json={"roles": [{"role": "viewer"}, {"role": "wizard"}]}, headers=bearer(tokens.admin)
    )
    body = assert_infisical_error(response, 404, "NotFound")
    assert body["message"] == "Specified role was not found: wizard"
    assert slugs(await roles_of(client, tokens.admin)) == ["member"]


async def test_member_actor_cannot_downgrade_an_admin_group(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    response = await client.patch(
        f"/api/v2/workspace/{PROJECT}/groups/{ADMINS}",
        json={"roles": [{"role": "viewer"}]},
        headers=bearer(tokens.limited),
    )
    body = assert_infisical_error(response, 403, "PermissionBoundaryError")
    assert body["details"]["missingPermissions"]
    assert slugs(await roles_of(client, tokens.admin, ADMINS)) == ["admin"]


async def test_actor_cannot_grant_a_role_broader_than_itself(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    # limited-bot holds groups edit + secrets read in dev only; "member" has far more.
    await client.patch(URL, json={"roles": [{"role": "no-access"}]}, headers=bearer(tokens.admin))
    response = await client.patch(
        URL, json={"roles": [{"role": "member"}]}, headers=bearer(tokens.limited)
    )
    body = assert_infisical_error(response, 403, "PermissionBoundaryError")
    missing = body["details"]["missingPermissions"]
    assert {"subject": "secrets", "action": "create"} in [
        {"subject": m["subject"], "action": m["action"]} for m in missing
    ]
    assert slugs(await roles_of(client, tokens.admin)) == ["no-access"]


async def test_limited_actor_may_grant_what_it_holds(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    await client.patch(URL, json={"roles": [{"role": "no-access"}]}, headers=bearer(tokens.admin))
    response = await client.patch(
        URL, json={"roles": [{"role": "secret-reader"}]}, headers=bearer(tokens.limited)
    )
    assert response.status_code == 200, response.text
    assert slugs(await roles_of(client, tokens.admin)) == ["secret-reader"]


async def test_at_least_one_permanent_role_is_required(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    body = {
        "roles": [
            {
                "role": "viewer",
                "isTemporary": True,
                "temporaryMode": "relative",
                "temporaryRange": "1h",
                "temporaryAccessStartTime": "2030-01-01T00:00:00Z",
            }
        ]
    }
    response = await client.patch(URL, json=body, headers=bearer(tokens.admin))
    payload = assert_infisical_error(response, 400, "BadRequest")
    assert payload["message"] == "Group must have at least one permanent role"
    assert slugs(await roles_of(client, tokens.admin)) == ["member"]


async def test_add_list_and_remove_a_group(client: httpx.AsyncClient, tokens: Tokens) -> None:
    added = await client.post(
        f"/api/v2/workspace/{PROJECT}/groups/{LOOSE_GROUP}",
        json={"role": "viewer"},
        headers=bearer(tokens.admin),
    )
    assert added.status_code == 200, added.text
    assert slugs(added.json()["groupMembership"]["roles"]) == ["viewer"]

    again = await client.post(
        f"/api/v2/workspace/{PROJECT}/groups/{LOOSE_GROUP}", json={}, headers=bearer(tokens.admin)
    )
    assert_infisical_error(again, 400, "BadRequest")

    listed = await client.get(f"/api/v2/workspace/{PROJECT}/groups", headers=bearer(tokens.viewer))
    assert listed.status_code == 200
    assert {m["groupId"] for m in listed.json()["groupMemberships"]} == {
        ENGINEERING,
        ADMINS,
        LOOSE_GROUP,
    }

    removed = await client.delete(
        f"/api/v2/workspace/{PROJECT}/groups/{LOOSE_GROUP}", headers=bearer(tokens.admin)
    )
    assert removed.status_code == 200, removed.text
    gone = await client.get(
        f"/api/v2/workspace/{PROJECT}/groups/{LOOSE_GROUP}", headers=bearer(tokens.admin)
    )
    assert gone.status_code == 404


async def test_add_group_defaults_to_no_access(client: httpx.AsyncClient, tokens: Tokens) -> None:
    added = await client.post(
        f"/api/v2/workspace/{PROJECT}/groups/{LOOSE_GROUP}", headers=bearer(tokens.admin)
    )
    assert added.status_code == 200, added.text
    assert slugs(added.json()["groupMembership"]["roles"]) == ["no-access"]


async def test_every_accepted_patch_writes_an_audit_event(
    client: httpx.AsyncClient, tokens: Tokens, session: Any
) -> None:
    from sqlalchemy import select

    from rolegate.rbac.models import AuditEvent

    response = await client.patch(
        URL, json={"roles": [{"role": "viewer"}]}, headers=bearer(tokens.admin)
    )
    assert response.status_code == 200
    events = (
        (
            await session.execute(
                select(AuditEvent).where(AuditEvent.action == "project-group.roles.update")
            )
        )
        .scalars()
        .all()
    )
    assert len(events) == 1
    event = events[0]
    assert event.surface == "infisical" and event.actor_type == "identity"
    assert [r["role"] for r in event.before["roles"]] == ["member"]
    assert [r["role"] for r in event.after["roles"]] == ["viewer"]
    assert event.request_id == response.headers["x-request-id"]

"""Terraform's ``infisical_project_group`` create, byte for byte as the Go provider sends it.

The provider's ``CreateProjectGroupRequest`` has ``GroupIdOrName`` without a JSON tag, so
Go writes that key capitalised; ``time.Now().UTC()`` goes out with nanoseconds; permanent
roles still carry ``temporaryMode: ""`` and a start time. The path holds the group's id,
or its name when the configuration has only ``group_name``.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac.models import Group
from tests.api.infisical.conftest import (
    ENGINEERING,
    LOOSE_GROUP,
    ORG,
    PROJECT,
    Tokens,
    audit_log_events,
)

NOW_NANOS = "2026-12-02T15:30:12.123456789Z"


def go_body(group: str, roles: list[dict[str, Any]]) -> bytes:
    # Go's encoding/json: struct field order, no spaces.
    return json.dumps(
        {"GroupIdOrName": group, "projectId": PROJECT, "roles": roles}, separators=(",", ":")
    ).encode()


def permanent(role: str) -> dict[str, Any]:
    return {
        "role": role,
        "isTemporary": False,
        "temporaryMode": "",
        "temporaryRange": "",
        "temporaryAccessStartTime": NOW_NANOS,
    }


def temporary(role: str, start: str = NOW_NANOS, range_: str = "1h") -> dict[str, Any]:
    return {
        "role": role,
        "isTemporary": True,
        "temporaryMode": "relative",
        "temporaryRange": range_,
        "temporaryAccessStartTime": start,
    }


def go_headers(token: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "User-Agent": "terraform-provider-infisical",
        "Accept-Encoding": "gzip",
    }


async def create(
    client: httpx.AsyncClient, token: str, path_group: str, roles: list[dict[str, Any]]
) -> httpx.Response:
    return await client.post(
        f"/api/v2/workspace/{PROJECT}/groups/{path_group}",
        content=go_body(path_group, roles),
        headers=go_headers(token),
    )


async def read_back(client: httpx.AsyncClient, token: str, group: str) -> httpx.Response:
    return await client.get(
        f"/api/v2/workspace/{PROJECT}/groups/{group}",
        headers={"Authorization": f"Bearer {token}", "User-Agent": "terraform-provider-infisical"},
    )


async def test_create_by_id_assigns_every_role_sent(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    response = await create(
        client, tokens.admin, LOOSE_GROUP, [permanent("admin"), temporary("secret-reader")]
    )
    assert response.status_code == 200, response.text
    membership = response.json()["groupMembership"]
    assert membership["groupId"] == LOOSE_GROUP
    uuid.UUID(membership["id"])

    read = await read_back(client, tokens.admin, LOOSE_GROUP)
    assert read.status_code == 200, read.text
    roles = read.json()["groupMembership"]["roles"]
    assert [(r["role"], r["customRoleSlug"], r["isTemporary"]) for r in roles] == [
        ("admin", None, False),
        ("custom", "secret-reader", True),
    ]
    # Nanoseconds are accepted (kept to the microsecond) and answered in milliseconds.
    assert roles[1]["temporaryAccessStartTime"] == "2026-12-02T15:30:12.123Z"
    assert roles[1]["temporaryAccessEndTime"] == "2026-12-02T16:30:12.123Z"
    assert roles[0]["temporaryAccessStartTime"] is None


async def test_create_by_name_resolves_the_group(client: httpx.AsyncClient, tokens: Tokens) -> None:
    response = await create(client, tokens.admin, "Loose", [permanent("viewer")])
    assert response.status_code == 200, response.text
    assert response.json()["groupMembership"]["groupId"] == LOOSE_GROUP
    roles = (await read_back(client, tokens.admin, LOOSE_GROUP)).json()["groupMembership"]["roles"]
    assert [r["role"] for r in roles] == ["viewer"]


async def test_create_by_a_name_with_a_space_as_go_escapes_it(
    client: httpx.AsyncClient, tokens: Tokens, session: AsyncSession
) -> None:
    group_id = uuid.uuid4()
    session.add(Group(id=group_id, org_id=uuid.UUID(ORG), name="Site Reliability", slug="sre"))
    await session.flush()
    # url.QueryEscape("Site Reliability") == "Site+Reliability"
    response = await create(client, tokens.admin, "Site+Reliability", [permanent("viewer")])
    assert response.status_code == 200, response.text
    assert response.json()["groupMembership"]["groupId"] == str(group_id)


async def test_unknown_group_name_is_a_404_and_adds_nothing(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    response = await create(client, tokens.admin, "nobody", [permanent("viewer")])
    assert response.status_code == 404, response.text
    assert response.json()["message"] == "Failed to find group with name nobody"
    listed = await client.get(
        f"/api/v2/workspace/{PROJECT}/groups", headers=go_headers(tokens.admin)
    )
    assert LOOSE_GROUP not in {m["groupId"] for m in listed.json()["groupMemberships"]}


async def test_a_name_two_groups_share_is_refused(
    client: httpx.AsyncClient, tokens: Tokens, session: AsyncSession
) -> None:
    session.add(Group(id=uuid.uuid4(), org_id=uuid.UUID(ORG), name="Loose", slug="loose-two"))
    await session.flush()
    response = await create(client, tokens.admin, "Loose", [permanent("viewer")])
    assert response.status_code == 400, response.text
    assert (
        response.json()["message"]
        == "More than one group is named Loose; use the group's ID instead"
    )


async def test_roles_win_over_role_and_role_is_the_fallback(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    both = await client.post(
        f"/api/v2/workspace/{PROJECT}/groups/{LOOSE_GROUP}",
        json={"role": "viewer", "roles": [{"role": "member"}]},
        headers=go_headers(tokens.admin),
    )
    assert both.status_code == 200, both.text
    assert [r["role"] for r in both.json()["groupMembership"]["roles"]] == ["member"]


async def test_only_temporary_roles_are_refused_and_nothing_is_added(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    response = await create(client, tokens.admin, LOOSE_GROUP, [temporary("viewer")])
    assert response.status_code == 400, response.text
    assert response.json()["message"] == "Group must have at least one permanent role"
    assert (await read_back(client, tokens.admin, LOOSE_GROUP)).status_code == 404


async def test_a_temporary_role_without_a_start_is_a_422_with_its_path(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    role = temporary("viewer")
    role["temporaryAccessStartTime"] = "0001-01-01T00:00:00"  # no zone
    response = await create(client, tokens.admin, LOOSE_GROUP, [permanent("admin"), role])
    assert response.status_code == 422, response.text
    paths = [issue["path"] for issue in response.json()["message"]]
    assert ["roles", 1, "temporaryAccessStartTime"] in paths


async def test_granting_more_than_the_actor_holds_is_refused(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    # limited-bot may create groups in the project but holds secrets read on dev only.
    response = await create(client, tokens.limited, LOOSE_GROUP, [permanent("admin")])
    assert response.status_code == 403, response.text
    assert response.json()["error"] == "PermissionBoundaryError"
    assert (await read_back(client, tokens.admin, LOOSE_GROUP)).status_code == 404


async def test_create_is_audited_with_the_roles_it_assigned(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    response = await create(
        client, tokens.admin, "Loose", [permanent("member"), temporary("viewer")]
    )
    assert response.status_code == 200, response.text
    (event,) = await audit_log_events(client, tokens.admin, "project-group.add")
    assert [r["role"] for r in event["after"]["roles"]] == ["member", "viewer"]


async def test_adding_a_group_twice_is_a_400(client: httpx.AsyncClient, tokens: Tokens) -> None:
    response = await create(client, tokens.admin, ENGINEERING, [permanent("viewer")])
    assert response.status_code == 400, response.text


async def test_a_name_postgresql_cannot_store_is_a_400_not_a_500(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    response = await create(client, tokens.admin, "Lo%00se", [permanent("viewer")])
    assert response.status_code == 400, response.text
    assert "U+0000" in response.json()["message"]


async def test_terraform_update_and_delete_bodies_are_accepted(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    path = f"/api/v2/workspace/{PROJECT}/groups/{ENGINEERING}"
    update = json.dumps(
        {"projectId": PROJECT, "groupId": ENGINEERING, "roles": [permanent("viewer")]},
        separators=(",", ":"),
    ).encode()
    patched = await client.patch(path, content=update, headers=go_headers(tokens.admin))
    assert patched.status_code == 200, patched.text
    assert [r["role"] for r in patched.json()["roles"]] == ["viewer"]
    # resty sends the DELETE's struct as a JSON body; the route takes its ids from the path.
    body = json.dumps({"projectId": PROJECT, "groupId": ENGINEERING}).encode()
    deleted = await client.request("DELETE", path, content=body, headers=go_headers(tokens.admin))
    assert deleted.status_code == 200, deleted.text
    assert (await read_back(client, tokens.admin, ENGINEERING)).status_code == 404

"""Privileges V2 as Terraform's ``permissions_v2`` drives them, and the project read by slug.

The provider first reads the project by slug (``GET /api/v2/workspace/{slug}``) for its
id, then creates with ``POST /api/v2/identity-project-additional-privilege``, reads by id
and compares each rule's ``conditions`` (re-marshalled with sorted keys) with what it
sent. Bodies below are what Go's encoding/json writes: struct fields in declaration
order, map keys sorted, ``time.Now().UTC()`` with nanoseconds.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.config import Settings
from tests.api.infisical.bc_world import (
    OTHER_PROJECT,
    PROJECT,
    TEMP,
    Tokens,
    assert_infisical_error,
    issue_paths,
    load_world,
)
from tests.conftest import bearer

URL = "/api/v2/identity-project-additional-privilege"
NOW_NANOS = "2026-12-02T15:30:12.987654321Z"

TF_PERMISSIONS: list[dict[str, Any]] = [
    {"action": ["edit"], "inverted": True, "subject": "secret-folders"},
    {
        "action": ["describeSecret", "readValue", "edit"],
        "conditions": {"environment": {"$eq": "dev"}, "secretPath": {"$eq": "/"}},
        "inverted": False,
        "subject": "secrets",
    },
]


@pytest.fixture
async def world(session: AsyncSession, settings: Settings) -> Tokens:
    return await load_world(session, settings)


def go(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def headers(token: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "User-Agent": "terraform-provider-infisical",
    }


def create_body(permissions: list[dict[str, Any]], slug: str = "tf-priv") -> bytes:
    return go(
        {
            "projectId": PROJECT,
            "identityId": TEMP,
            "slug": slug,
            "permissions": permissions,
            # The provider fills mode and range even for a permanent privilege.
            "type": {
                "isTemporary": False,
                "temporaryMode": "relative",
                "temporaryRange": "1h",
                "temporaryAccessStartTime": NOW_NANOS,
            },
        }
    )


def as_terraform_reads(rule: dict[str, Any]) -> tuple[Any, ...]:
    conditions = rule.get("conditions")
    marshalled = json.dumps(conditions, sort_keys=True) if conditions is not None else None
    return (sorted(rule["action"]), rule["subject"], rule.get("inverted"), marshalled)


async def test_terraform_reads_the_project_by_slug(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    response = await client.get("/api/v2/workspace/backend", headers=headers(world.admin))
    assert response.status_code == 200, response.text
    project = response.json()
    assert project["id"] == PROJECT and project["slug"] == "backend"
    assert project["type"] == "secret-manager" and project["description"] is None
    assert [e["slug"] for e in project["environments"]] == ["dev", "prod"]


async def test_project_by_slug_is_scoped_to_the_org_and_the_reader(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    theirs = await client.get("/api/v2/workspace/theirs", headers=headers(world.admin))
    assert_infisical_error(theirs, 404, "NotFound")
    # temp-bot is a no-access member of backend.
    refused = await client.get("/api/v2/workspace/backend", headers=headers(world.temp))
    assert_infisical_error(refused, 403, "PermissionDenied")


async def test_create_read_update_delete_by_id_as_terraform_does(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    created = await client.post(
        URL, content=create_body(TF_PERMISSIONS), headers=headers(world.admin)
    )
    assert created.status_code == 200, created.text
    privilege = created.json()["privilege"]
    assert privilege["slug"] == "tf-priv" and privilege["isTemporary"] is False
    assert privilege["identityId"] == TEMP and privilege["projectId"] == PROJECT

    read = await client.get(f"{URL}/{privilege['id']}", headers=headers(world.admin))
    assert read.status_code == 200, read.text
    got = read.json()["privilege"]["permissions"]
    assert [as_terraform_reads(r) for r in got] == [as_terraform_reads(r) for r in TF_PERMISSIONS]

    patched = await client.patch(
        f"{URL}/{privilege['id']}",
        content=go(
            {
                "slug": "tf-priv",
                "permissions": TF_PERMISSIONS[1:],
                "type": {
                    "isTemporary": True,
                    "temporaryMode": "relative",
                    "temporaryRange": "2h",
                    "temporaryAccessStartTime": NOW_NANOS,
                },
            }
        ),
        headers=headers(world.admin),
    )
    assert patched.status_code == 200, patched.text
    after = patched.json()["privilege"]
    assert after["isTemporary"] is True
    assert after["temporaryAccessStartTime"] == "2026-12-02T15:30:12.987Z"
    assert after["temporaryAccessEndTime"] == "2026-12-02T17:30:12.987Z"
    assert len(after["permissions"]) == 1

    listed = await client.get(
        URL, params={"identityId": TEMP, "projectId": PROJECT}, headers=headers(world.admin)
    )
    assert [p["id"] for p in listed.json()["privileges"]] == [privilege["id"]]

    deleted = await client.delete(f"{URL}/{privilege['id']}", headers=headers(world.admin))
    assert deleted.status_code == 200, deleted.text
    gone = await client.get(f"{URL}/{privilege['id']}", headers=headers(world.admin))
    assert_infisical_error(gone, 404, "NotFound")


async def test_v2_and_v1_see_the_same_privilege(client: httpx.AsyncClient, world: Tokens) -> None:
    created = await client.post(
        URL, content=create_body(TF_PERMISSIONS), headers=headers(world.admin)
    )
    assert created.status_code == 200, created.text
    v1 = await client.get(
        "/api/v1/additional-privilege/identity/tf-priv",
        params={"identityId": TEMP, "projectSlug": "backend"},
        headers=bearer(world.admin),
    )
    assert v1.status_code == 200, v1.text
    assert v1.json()["privilege"]["id"] == created.json()["privilege"]["id"]


async def test_another_orgs_privilege_is_a_404_and_a_bad_id_a_422(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    created = await client.post(
        URL, content=create_body(TF_PERMISSIONS), headers=headers(world.admin)
    )
    privilege_id = created.json()["privilege"]["id"]
    for method in ("GET", "DELETE"):
        response = await client.request(
            method, f"{URL}/{privilege_id}", headers=headers(world.outsider)
        )
        assert_infisical_error(response, 404, "NotFound")
    assert (
        await client.get(f"{URL}/{privilege_id}", headers=headers(world.admin))
    ).status_code == 200
    bad = await client.get(f"{URL}/tf-priv", headers=headers(world.admin))
    assert_infisical_error(bad, 422, "ValidationFailure")
    other_project = await client.post(
        URL,
        content=go(
            {
                "projectId": OTHER_PROJECT,
                "identityId": TEMP,
                "permissions": [],
                "type": {"isTemporary": False},
            }
        ),
        headers=headers(world.admin),
    )
    assert_infisical_error(other_project, 404, "NotFound")


async def test_the_boundary_holds_for_multi_operator_conditions(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    # limited-bot may create identity privileges and reads secrets on dev only.
    inside = [
        {
            "action": ["read"],
            "conditions": {"environment": {"$eq": "dev", "$in": ["dev", "prod"]}},
            "subject": "secrets",
        }
    ]
    outside = [
        {"action": ["readValue"], "conditions": {"environment": "prod"}, "subject": "secrets"}
    ]
    refused = await client.post(
        URL, content=create_body(outside, "too-much"), headers=headers(world.grantor)
    )
    body = assert_infisical_error(refused, 403, "PermissionBoundaryError")
    assert body["details"]["missingPermissions"] == [
        {"subject": "secrets", "action": "readValue", "conditions": {"environment": "prod"}}
    ]
    accepted = await client.post(
        URL, content=create_body(inside, "dev-only"), headers=headers(world.grantor)
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["privilege"]["permissions"][0]["conditions"] == {
        "environment": {"$eq": "dev", "$in": ["dev", "prod"]}
    }


async def test_rules_are_validated_with_paths(client: httpx.AsyncClient, world: Tokens) -> None:
    response = await client.post(
        URL,
        content=create_body([{"action": ["peek"], "subject": "secrets"}]),
        headers=headers(world.admin),
    )
    body = assert_infisical_error(response, 422, "ValidationFailure")
    assert ["permissions", 0, "action", 0] in issue_paths(body)


async def test_project_create_answers_type_and_description_and_refuses_kms(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    created = await client.post(
        "/api/v2/workspace",
        json={
            "projectName": "Payments",
            "projectDescription": "Card flows",
            "type": "secret-manager",
        },
        headers=bearer(world.admin),
    )
    assert created.status_code == 200, created.text
    project = created.json()["project"]
    assert project["type"] == "secret-manager" and project["description"] == "Card flows"
    read = await client.get(f"/api/v2/workspace/{project['slug']}", headers=bearer(world.admin))
    assert read.json()["description"] == "Card flows"

    kms = await client.post(
        "/api/v2/workspace",
        json={"projectName": "Keys", "type": "kms"},
        headers=bearer(world.admin),
    )
    body = assert_infisical_error(kms, 422, "ValidationFailure")
    assert body["message"][0]["path"] == ["type"]
    assert 'Project type "kms" is not supported' in body["message"][0]["message"]
    unknown = await client.post(
        "/api/v2/workspace",
        json={"projectName": "Keys", "type": "vault"},
        headers=bearer(world.admin),
    )
    assert_infisical_error(unknown, 422, "ValidationFailure")

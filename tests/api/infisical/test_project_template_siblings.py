"""Endpoint C's siblings: create, list, get, delete, and creating a project from a template."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.config import Settings
from rolegate.rbac.models import AuditEvent, Project
from tests.api.infisical.bc_world import (
    GROUP,
    OTHER_TEMPLATE,
    TEMPLATE,
    Tokens,
    assert_infisical_error,
    issue_paths,
    load_world,
)
from tests.conftest import bearer

BASE = "/api/v1/project-templates"
WORKSPACE = "/api/v2/workspace"
DEFAULT_ENVS = [
    {"name": "Development", "slug": "dev", "position": 1},
    {"name": "Staging", "slug": "staging", "position": 2},
    {"name": "Production", "slug": "prod", "position": 3},
]


@pytest.fixture
async def world(session: AsyncSession, settings: Settings) -> Tokens:
    return await load_world(session, settings)


async def names(client: httpx.AsyncClient, token: str) -> list[str]:
    response = await client.get(BASE, headers=bearer(token))
    assert response.status_code == 200, response.text
    return [t["name"] for t in response.json()["projectTemplates"]]


# --- templates ------------------------------------------------------------------------


async def test_create_defaults_to_dev_staging_prod_and_no_custom_roles(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    response = await client.post(BASE, json={"name": "fresh"}, headers=bearer(world.admin))
    assert response.status_code == 200, response.text
    template = response.json()["projectTemplate"]
    assert template["environments"] == DEFAULT_ENVS
    assert [r["slug"] for r in template["roles"]] == ["admin", "member", "viewer", "no-access"]
    assert template["description"] is None
    got = await client.get(f"{BASE}/{template['id']}", headers=bearer(world.admin))
    assert got.json()["projectTemplate"] == template


async def test_create_with_roles_and_environments(client: httpx.AsyncClient, world: Tokens) -> None:
    body = {
        "name": "custom",
        "description": "d",
        "roles": [{"name": "Ops", "slug": "ops", "permissions": [["read", "secrets"]]}],
        "environments": [{"name": "Only", "slug": "only", "position": 1}],
    }
    response = await client.post(BASE, json=body, headers=bearer(world.admin))
    assert response.status_code == 200, response.text
    template = response.json()["projectTemplate"]
    assert template["roles"][-1] == {
        "name": "Ops",
        "slug": "ops",
        "permissions": [{"subject": "secrets", "action": ["read"], "inverted": False}],
    }
    assert template["environments"] == body["environments"]


async def test_create_with_a_taken_name_is_400(client: httpx.AsyncClient, world: Tokens) -> None:
    response = await client.post(BASE, json={"name": "standard"}, headers=bearer(world.admin))
    payload = assert_infisical_error(response, 400, "BadRequest")
    assert payload["message"] == 'A project template with the name "standard" already exists.'
    assert await names(client, world.admin) == ["default", "minimal", "standard"]


async def test_create_named_default_is_422(client: httpx.AsyncClient, world: Tokens) -> None:
    response = await client.post(BASE, json={"name": "default"}, headers=bearer(world.admin))
    payload = assert_infisical_error(response, 422, "ValidationFailure")
    assert payload["message"][0]["message"] == "The requested project template name is reserved."
    assert await names(client, world.admin) == ["default", "minimal", "standard"]


async def test_org_member_cannot_create_but_can_read(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    response = await client.post(BASE, json={"name": "mine"}, headers=bearer(world.deploy))
    payload = assert_infisical_error(response, 403, "PermissionDenied")
    assert payload["message"] == "You are not allowed to create on project-templates"
    assert await names(client, world.deploy) == ["default", "minimal", "standard"]


async def test_no_access_identity_cannot_read(client: httpx.AsyncClient, world: Tokens) -> None:
    response = await client.get(BASE, headers=bearer(world.plain))
    payload = assert_infisical_error(response, 403, "PermissionDenied")
    assert payload["message"] == "You are not allowed to read on project-templates"


async def test_list_shows_only_this_orgs_templates(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    response = await client.get(BASE, headers=bearer(world.admin))
    ids = [t["id"] for t in response.json()["projectTemplates"]]
    assert TEMPLATE in ids and OTHER_TEMPLATE not in ids


async def test_get_template_of_another_org_is_404(client: httpx.AsyncClient, world: Tokens) -> None:
    response = await client.get(f"{BASE}/{OTHER_TEMPLATE}", headers=bearer(world.admin))
    assert_infisical_error(response, 404, "NotFound")
    assert await names(client, world.admin) == ["default", "minimal", "standard"]


async def test_delete_removes_the_template_and_is_audited(
    client: httpx.AsyncClient, world: Tokens, session: AsyncSession
) -> None:
    response = await client.delete(f"{BASE}/{TEMPLATE}", headers=bearer(world.admin))
    assert response.status_code == 200, response.text
    assert response.json()["projectTemplate"]["name"] == "standard"
    gone = await client.get(f"{BASE}/{TEMPLATE}", headers=bearer(world.admin))
    assert_infisical_error(gone, 404, "NotFound")
    event = (
        await session.execute(
            select(AuditEvent).where(AuditEvent.action == "project-template.delete")
        )
    ).scalar_one()
    assert event.before["name"] == "standard" and event.after is None


async def test_org_member_cannot_delete(client: httpx.AsyncClient, world: Tokens) -> None:
    response = await client.delete(f"{BASE}/{TEMPLATE}", headers=bearer(world.deploy))
    payload = assert_infisical_error(response, 403, "PermissionDenied")
    assert payload["message"] == "You are not allowed to delete on project-templates"
    assert await names(client, world.admin) == ["default", "minimal", "standard"]


# --- projects from templates ----------------------------------------------------------


async def create_project(
    client: httpx.AsyncClient, token: str, body: dict[str, Any]
) -> httpx.Response:
    return await client.post(WORKSPACE, json=body, headers=bearer(token))


async def test_project_from_template_gets_its_roles_and_environments(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    response = await create_project(
        client, world.admin, {"projectName": "Payments", "slug": "payments", "template": "standard"}
    )
    assert response.status_code == 200, response.text
    project = response.json()["project"]
    assert project["name"] == "Payments" and project["slug"] == "payments"
    assert [(e["slug"], e["position"]) for e in project["environments"]] == [
        ("dev", 1),
        ("prod", 2),
    ]
    assert [r["slug"] for r in project["roles"]] == ["release-manager"]
    assert project["roles"][0]["permissions"] == [
        {
            "subject": "secrets",
            "action": ["read", "edit"],
            "conditions": {"environment": "prod"},
            "inverted": False,
        }
    ]
    project_id = project["id"]
    # The creator is the project's admin: it may manage groups there ...
    groups = await client.get(f"{WORKSPACE}/{project_id}/groups", headers=bearer(world.admin))
    assert groups.status_code == 200, groups.text
    # ... and the template's role is a real project role that can be assigned.
    added = await client.post(
        f"{WORKSPACE}/{project_id}/groups/{GROUP}",
        json={"role": "release-manager"},
        headers=bearer(world.admin),
    )
    assert added.status_code == 200, added.text
    assert added.json()["groupMembership"]["roles"][0]["customRoleSlug"] == "release-manager"


async def test_project_is_a_copy_later_template_edits_do_not_change_it(
    client: httpx.AsyncClient, world: Tokens, session: AsyncSession
) -> None:
    response = await create_project(
        client, world.admin, {"projectName": "Copy", "slug": "copy", "template": TEMPLATE}
    )
    assert response.status_code == 200, response.text
    patched = await client.patch(
        f"{BASE}/{TEMPLATE}", json={"roles": []}, headers=bearer(world.admin)
    )
    assert patched.status_code == 200
    added = await client.post(
        f"{WORKSPACE}/{response.json()['project']['id']}/groups/{GROUP}",
        json={"role": "release-manager"},
        headers=bearer(world.admin),
    )
    assert added.status_code == 200, added.text


async def test_project_without_template_uses_the_default_one(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    for template in (None, "default"):
        body: dict[str, Any] = {"projectName": f"Plain {template}"}
        if template:
            body["template"] = template
        response = await create_project(client, world.admin, body)
        assert response.status_code == 200, response.text
        project = response.json()["project"]
        assert [
            {"name": e["name"], "slug": e["slug"], "position": e["position"]}
            for e in project["environments"]
        ] == DEFAULT_ENVS
        assert project["roles"] == [] and project["template"] == "default"
        assert project["slug"].startswith(f"plain-{template or 'none'}-")


async def test_project_from_unknown_template_is_404_and_creates_nothing(
    client: httpx.AsyncClient, world: Tokens, session: AsyncSession
) -> None:
    response = await create_project(
        client, world.admin, {"projectName": "Ghost", "slug": "ghost", "template": "nope"}
    )
    payload = assert_infisical_error(response, 404, "NotFound")
    assert payload["message"] == 'Could not find project template with name "nope"'
    assert (
        await session.execute(select(Project).where(Project.slug == "ghost"))
    ).scalar_one_or_none() is None


async def test_project_from_another_orgs_template_is_404(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    response = await create_project(
        client, world.admin, {"projectName": "X", "slug": "x", "template": OTHER_TEMPLATE}
    )
    assert_infisical_error(response, 404, "NotFound")
    assert await names(client, world.admin) == ["default", "minimal", "standard"]


async def test_project_slug_taken_is_400(
    client: httpx.AsyncClient, world: Tokens, session: AsyncSession
) -> None:
    response = await create_project(
        client, world.admin, {"projectName": "Again", "slug": "backend"}
    )
    payload = assert_infisical_error(response, 400, "BadRequest")
    assert payload["message"] == "Project with slug backend already exists"
    projects = (await session.execute(select(Project.name).where(Project.slug == "backend"))).all()
    assert [p.name for p in projects] == ["Backend"]


async def test_org_member_cannot_create_a_project(
    client: httpx.AsyncClient, world: Tokens, session: AsyncSession
) -> None:
    response = await create_project(
        client, world.deploy, {"projectName": "Mine", "slug": "mine", "template": "standard"}
    )
    payload = assert_infisical_error(response, 403, "PermissionDenied")
    assert payload["message"] == "You are not allowed to create on workspace"
    assert (
        await session.execute(select(Project).where(Project.slug == "mine"))
    ).scalar_one_or_none() is None


async def test_project_body_is_validated(
    client: httpx.AsyncClient, world: Tokens, session: AsyncSession
) -> None:
    response = await create_project(client, world.admin, {"slug": "Bad Slug"})
    payload = assert_infisical_error(response, 422, "ValidationFailure")
    assert ["projectName"] in issue_paths(payload) and ["slug"] in issue_paths(payload)
    assert len((await session.execute(select(Project.id))).all()) == 3  # the seeded ones


async def test_project_creation_is_audited(
    client: httpx.AsyncClient, world: Tokens, session: AsyncSession
) -> None:
    response = await create_project(
        client, world.admin, {"projectName": "Audited", "slug": "audited", "template": "standard"}
    )
    assert response.status_code == 200
    event = (
        await session.execute(select(AuditEvent).where(AuditEvent.action == "project.create"))
    ).scalar_one()
    assert event.after["template"] == "standard" and event.after["roles"] == ["release-manager"]
    assert uuid.UUID(event.target_id) == uuid.UUID(response.json()["project"]["id"])

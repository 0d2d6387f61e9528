"""Infisical's built-in ``default`` project template: listed first, read-only, never stored."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.config import Settings
from tests.api.infisical.bc_world import ORG, Tokens, assert_infisical_error, load_world
from tests.conftest import bearer

BASE = "/api/v1/project-templates"
DEFAULT_ID = "b11b49a9-09a9-4443-916a-4246f9ff2c69"  # Infisical's fixed id for it
DEFAULT_ENVS = [
    {"name": "Development", "slug": "dev", "position": 1},
    {"name": "Staging", "slug": "staging", "position": 2},
    {"name": "Production", "slug": "prod", "position": 3},
]


@pytest.fixture
async def world(session: AsyncSession, settings: Settings) -> Tokens:
    return await load_world(session, settings)


async def listed(client: httpx.AsyncClient, token: str) -> list[dict[str, object]]:
    response = await client.get(BASE, headers=bearer(token))
    assert response.status_code == 200, response.text
    templates: list[dict[str, object]] = response.json()["projectTemplates"]
    return templates


async def test_list_starts_with_the_default_template_with_builtin_roles_and_environments(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    first = (await listed(client, world.admin))[0]
    assert first["id"] == DEFAULT_ID
    assert first["name"] == "default"
    assert first["description"] == "Infisical's default project template"
    assert first["type"] == "secret-manager"
    assert first["orgId"] == ORG
    assert first["environments"] == DEFAULT_ENVS
    roles = first["roles"]
    assert isinstance(roles, list)
    assert [r["slug"] for r in roles] == ["admin", "member", "viewer", "no-access"]
    # The built-in roles with their full rules, as every stored template shows them.
    standard = (await listed(client, world.admin))[-1]
    assert isinstance(standard["roles"], list)
    assert roles == standard["roles"][:4]


async def test_an_org_member_sees_it_too_and_a_no_access_identity_gets_403(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    assert (await listed(client, world.deploy))[0]["id"] == DEFAULT_ID
    response = await client.get(BASE, headers=bearer(world.plain))
    assert_infisical_error(response, 403, "PermissionDenied")


async def test_the_default_template_is_the_same_on_every_read(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    first = await client.get(BASE, headers=bearer(world.admin))
    again = await client.get(BASE, headers=bearer(world.admin))
    assert first.json()["projectTemplates"][0] == again.json()["projectTemplates"][0]
    default = first.json()["projectTemplates"][0]
    assert default["createdAt"] == default["updatedAt"]
    assert first.headers["ETag"] == again.headers["ETag"]


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
async def test_the_default_template_cannot_be_read_changed_or_deleted_by_id(
    client: httpx.AsyncClient, world: Tokens, method: str
) -> None:
    body = {"description": "mine now"} if method == "PATCH" else None
    response = await client.request(
        method, f"{BASE}/{DEFAULT_ID}", json=body, headers=bearer(world.admin)
    )
    payload = assert_infisical_error(response, 404, "NotFound")
    assert payload["message"] == f"Could not find project template with ID {DEFAULT_ID}"
    first = (await listed(client, world.admin))[0]
    assert first["id"] == DEFAULT_ID
    assert first["description"] == "Infisical's default project template"


async def test_a_project_from_the_default_templates_id_gets_the_default_environments(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    response = await client.post(
        "/api/v2/workspace",
        json={"projectName": "From default", "template": DEFAULT_ID},
        headers=bearer(world.admin),
    )
    assert response.status_code == 200, response.text
    project = response.json()["project"]
    assert project["template"] == "default"
    assert project["roles"] == []
    assert [
        {"name": e["name"], "slug": e["slug"], "position": e["position"]}
        for e in project["environments"]
    ] == DEFAULT_ENVS

"""Endpoint C: PATCH /api/v1/project-templates/{templateId} and its siblings."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.config import Settings
from rolegate.rbac.infisical.templates import POSITIONS_MESSAGE
from rolegate.rbac.models import AuditEvent
from rolegate.rbac.permissions.builtin_roles import BUILTIN_PROJECT_ROLES
from rolegate.rbac.permissions.rules import rules_to_json
from tests.api.infisical.bc_world import (
    OTHER_TEMPLATE,
    SECOND_TEMPLATE,
    TEMPLATE,
    Tokens,
    assert_infisical_error,
    issue_paths,
    load_world,
)
from tests.api.infisical.conftest import audit_log_events
from tests.conftest import bearer

BASE = "/api/v1/project-templates"
URL = f"{BASE}/{TEMPLATE}"
BUILTIN_SLUGS = ["admin", "member", "viewer", "no-access"]
RELEASE_MANAGER = {
    "name": "Release Manager",
    "slug": "release-manager",
    "permissions": [
        {
            "subject": "secrets",
            "action": ["read", "edit"],
            "conditions": {"environment": "prod"},
            "inverted": False,
        }
    ],
}
TWO_ENVS = [
    {"name": "Development", "slug": "dev", "position": 1},
    {"name": "Production", "slug": "prod", "position": 2},
]


@pytest.fixture
async def world(session: AsyncSession, settings: Settings) -> Tokens:
    return await load_world(session, settings)


async def read_back(client: httpx.AsyncClient, token: str, url: str = URL) -> dict[str, Any]:
    response = await client.get(url, headers=bearer(token))
    assert response.status_code == 200, response.text
    template: dict[str, Any] = response.json()["projectTemplate"]
    return template


async def all_templates(client: httpx.AsyncClient, world: Tokens) -> list[Any]:
    """Both orgs' templates as their admins read them: proof that nothing changed."""
    state: list[Any] = []
    for token in (world.admin, world.outsider):
        response = await client.get(BASE, headers=bearer(token))
        assert response.status_code == 200, response.text
        state.append(response.json()["projectTemplates"])
    return state


def custom_roles(template: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in template["roles"] if r["slug"] not in BUILTIN_SLUGS]


# --- the documented bodies ------------------------------------------------------------


async def test_seed_doc_body_updates_everything_and_answers_the_documented_shape(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    body = {
        "name": "hardened",
        "description": "Locked-down secret-manager project",
        "roles": [
            {
                "name": "Prod Reader Except Keys",
                "slug": "prod-reader",
                "permissions": [
                    {
                        "subject": "secrets",
                        "inverted": True,
                        "action": "read",
                        "conditions": {
                            "environment": "prod",
                            "secretPath": "/keys",
                            "secretName": "ROOT_KEY",
                            "secretTags": {"$in": ["critical"]},
                        },
                    }
                ],
            }
        ],
        "environments": [
            {"name": "Staging", "slug": "staging", "position": 2},
            {"name": "Development", "slug": "dev", "position": 1},
        ],
    }
    response = await client.patch(URL, json=body, headers=bearer(world.admin))
    assert response.status_code == 200, response.text
    template = response.json()["projectTemplate"]
    assert set(template) >= {
        "id",
        "name",
        "description",
        "roles",
        "environments",
        "orgId",
        "createdAt",
        "updatedAt",
    }
    assert template["id"] == TEMPLATE and template["name"] == "hardened"
    assert template["description"] == "Locked-down secret-manager project"
    assert [r["slug"] for r in template["roles"]] == [*BUILTIN_SLUGS, "prod-reader"]
    assert custom_roles(template)[0]["permissions"] == [
        {
            "subject": "secrets",
            "action": ["read"],
            "conditions": {
                "environment": "prod",
                "secretPath": "/keys",
                "secretName": "ROOT_KEY",
                "secretTags": {"$in": ["critical"]},
            },
            "inverted": True,
        }
    ]
    assert template["environments"] == [
        {"name": "Development", "slug": "dev", "position": 1},
        {"name": "Staging", "slug": "staging", "position": 2},
    ]
    assert template["updatedAt"].endswith("Z") and len(template["updatedAt"]) == 24
    assert await read_back(client, world.admin) == template


async def test_built_in_roles_come_first_with_their_full_rules(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    template = await read_back(client, world.admin)
    builtins = template["roles"][:4]
    assert [(r["name"], r["slug"]) for r in builtins] == [
        ("Admin", "admin"),
        ("Developer", "member"),
        ("Viewer", "viewer"),
        ("No Access", "no-access"),
    ]
    for role in builtins:
        expected = rules_to_json(BUILTIN_PROJECT_ROLES[role["slug"]].rules)
        assert role["permissions"] == expected
    assert builtins[0]["permissions"] and builtins[3]["permissions"] == []
    assert custom_roles(template) == [RELEASE_MANAGER]


async def test_terraform_body_with_extra_keys_is_accepted(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    body = {
        "id": TEMPLATE,
        "name": "standard",
        "description": "Managed by Terraform",
        "type": "secret-manager",
        "roles": [
            {
                "name": "Auditor",
                "slug": "auditor",
                "permissions": [{"subject": "audit-logs", "action": ["read"]}],
            }
        ],
        "environments": TWO_ENVS,
        "identities": [],
        "users": [],
        "groups": [],
    }
    response = await client.patch(URL, json=body, headers=bearer(world.admin))
    assert response.status_code == 200, response.text
    template = response.json()["projectTemplate"]
    assert custom_roles(template) == [
        {
            "name": "Auditor",
            "slug": "auditor",
            "permissions": [{"subject": "audit-logs", "action": ["read"], "inverted": False}],
        }
    ]
    assert template["description"] == "Managed by Terraform"


async def test_packed_role_rules_are_stored_unpacked(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    roles = [
        {
            "name": "Release Manager",
            "slug": "release-manager",
            "permissions": [["read,edit", "secrets", {"environment": "prod"}]],
        }
    ]
    response = await client.patch(URL, json={"roles": roles}, headers=bearer(world.admin))
    assert response.status_code == 200, response.text
    assert custom_roles(await read_back(client, world.admin)) == [RELEASE_MANAGER]


# --- partial update and replace semantics ---------------------------------------------


async def test_description_only_update_keeps_the_rest(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    before = await read_back(client, world.admin)
    response = await client.patch(URL, json={"description": "new"}, headers=bearer(world.admin))
    assert response.status_code == 200, response.text
    after = await read_back(client, world.admin)
    assert after["description"] == "new"
    assert after["name"] == before["name"] and after["roles"] == before["roles"]
    assert after["environments"] == before["environments"]


async def test_nulls_leave_fields_as_they_are(client: httpx.AsyncClient, world: Tokens) -> None:
    before = await read_back(client, world.admin)
    body = {"name": None, "description": None, "roles": None, "environments": None}
    response = await client.patch(URL, json=body, headers=bearer(world.admin))
    assert response.status_code == 200, response.text
    after = await read_back(client, world.admin)
    assert {k: after[k] for k in ("name", "description", "roles", "environments")} == {
        k: before[k] for k in ("name", "description", "roles", "environments")
    }


async def test_rename(client: httpx.AsyncClient, world: Tokens) -> None:
    response = await client.patch(URL, json={"name": "golden-path"}, headers=bearer(world.admin))
    assert response.status_code == 200, response.text
    assert (await read_back(client, world.admin))["name"] == "golden-path"


async def test_rename_to_its_own_name_is_accepted(client: httpx.AsyncClient, world: Tokens) -> None:
    response = await client.patch(URL, json={"name": "standard"}, headers=bearer(world.admin))
    assert response.status_code == 200, response.text


async def test_empty_roles_clear_custom_roles_but_built_ins_stay_listed(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    response = await client.patch(URL, json={"roles": []}, headers=bearer(world.admin))
    assert response.status_code == 200, response.text
    assert [r["slug"] for r in (await read_back(client, world.admin))["roles"]] == BUILTIN_SLUGS


async def test_given_environments_replace_the_list(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    environments = [{"name": "QA", "slug": "qa", "position": 1}]
    response = await client.patch(
        URL, json={"environments": environments}, headers=bearer(world.admin)
    )
    assert response.status_code == 200, response.text
    assert (await read_back(client, world.admin))["environments"] == environments


async def test_deny_rules_in_template_roles_are_kept(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    roles = [
        {
            "name": "No Prod",
            "slug": "no-prod",
            "permissions": [
                {"subject": "secrets", "action": ["read"]},
                {
                    "subject": "secrets",
                    "action": ["read"],
                    "conditions": {"environment": "prod"},
                    "inverted": True,
                },
            ],
        }
    ]
    response = await client.patch(URL, json={"roles": roles}, headers=bearer(world.admin))
    assert response.status_code == 200, response.text
    rules = custom_roles(await read_back(client, world.admin))[0]["permissions"]
    assert [r["inverted"] for r in rules] == [False, True]


# --- validation -----------------------------------------------------------------------


def role(slug: str = "ops", name: str = "Ops", permissions: Any = ()) -> dict[str, Any]:
    return {"name": name, "slug": slug, "permissions": list(permissions)}


def env(name: str, slug: str, position: int) -> dict[str, Any]:
    return {"name": name, "slug": slug, "position": position}


BIG_RULES = [
    {
        "subject": "secrets",
        "action": ["read"],
        "conditions": {"secretName": f"KEY_{i:05d}_" + "x" * 80},
    }
    for i in range(200)
]

INVALID_BODIES = [
    pytest.param({"name": "Standard"}, ["name"], None, id="name-uppercase"),
    pytest.param({"name": "a" * 33}, ["name"], None, id="name-too-long"),
    pytest.param({"name": ""}, ["name"], None, id="name-empty"),
    pytest.param({"name": "two--hyphens"}, ["name"], None, id="name-double-hyphen"),
    pytest.param(
        {"name": "default"},
        ["name"],
        "The requested project template name is reserved.",
        id="name-default-reserved",
    ),
    pytest.param({"description": "d" * 257}, ["description"], None, id="description-257"),
    *[
        pytest.param(
            {"roles": [role(slug=slug)]},
            ["roles", 0, "slug"],
            f'Role slug "{slug}" is reserved',
            id=f"reserved-slug-{slug}",
        )
        for slug in ("admin", "member", "viewer", "no-access", "custom")
    ],
    *[
        pytest.param(
            {"roles": [role(name=name)]},
            ["roles", 0, "name"],
            f'Role name "{name}" is reserved',
            id=f"reserved-name-{name}",
        )
        for name in ("ADMIN", "Custom", "viewer", "Developer", "no ACCESS")
    ],
    pytest.param(
        {"roles": [role(), role(name="Other")]},
        ["roles", 1, "slug"],
        'Role slug "ops" is used more than once',
        id="duplicate-role-slug",
    ),
    pytest.param(
        {"roles": [role(), role(slug="other")]},
        ["roles", 1, "name"],
        'Role name "Ops" is used more than once',
        id="duplicate-role-name",
    ),
    pytest.param({"roles": [role(name="  ")]}, ["roles", 0, "name"], None, id="blank-role-name"),
    pytest.param({"roles": [role(slug="Ops")]}, ["roles", 0, "slug"], None, id="bad-role-slug"),
    pytest.param(
        {"roles": [{"name": "Ops", "slug": "ops"}]},
        ["roles", 0, "permissions"],
        None,
        id="role-without-permissions",
    ),
    pytest.param(
        {"roles": [role(permissions=[{"subject": "wizards", "action": "read"}])]},
        ["roles", 0, "permissions", 0, "subject"],
        'Unknown subject "wizards"',
        id="unknown-subject",
    ),
    pytest.param(
        {"roles": [role(), role("ops2", "Ops 2", [{"subject": "secrets", "action": "fly"}])]},
        ["roles", 1, "permissions", 0, "action"],
        None,
        id="unknown-action-in-second-role",
    ),
    pytest.param(
        {
            "roles": [
                role(
                    permissions=[
                        {"subject": "role", "action": "read", "conditions": {"environment": "dev"}}
                    ]
                )
            ]
        },
        ["roles", 0, "permissions", 0, "conditions", "environment"],
        None,
        id="condition-key-on-a-subject-without-conditions",
    ),
    pytest.param(
        {
            "roles": [
                role(
                    permissions=[
                        {
                            "subject": "secrets",
                            "action": "read",
                            "conditions": {"secretTags": {"$glob": "a*"}},
                        }
                    ]
                )
            ]
        },
        ["roles", 0, "permissions", 0, "conditions", "secretTags", "$glob"],
        None,
        id="operator-not-allowed-for-key",
    ),
    pytest.param(
        {"roles": [role(permissions=[{"subject": "project-templates", "action": "read"}])]},
        ["roles", 0, "permissions", 0, "subject"],
        None,
        id="org-subject-in-project-role",
    ),
    pytest.param(
        {
            "roles": [
                role(permissions=BIG_RULES[:100]),
                role("ops2", "Ops 2", BIG_RULES[100:]),
                role("ops3", "Ops 3", BIG_RULES[:100]),
            ]
        },
        ["roles"],
        None,
        id="roles-over-32-kib",
    ),
    pytest.param(
        {"environments": [env("Dev", "dev", 1), env("Dev", "dev2", 2)]},
        ["environments", 1, "name"],
        'Environment name "Dev" is used more than once',
        id="duplicate-env-name",
    ),
    pytest.param(
        {"environments": [env("Dev", "dev", 1), env("Dev 2", "dev", 2)]},
        ["environments", 1, "slug"],
        'Environment slug "dev" is used more than once',
        id="duplicate-env-slug",
    ),
    pytest.param(
        {"environments": [env("Dev", "dev", 1), env("Prod", "prod", 3)]},
        ["environments", 1, "position"],
        POSITIONS_MESSAGE,
        id="positions-with-a-gap",
    ),
    pytest.param(
        {"environments": [env("<string>", "only", 2)]},
        ["environments", 0, "position"],
        POSITIONS_MESSAGE,
        id="seed-doc-position-2-alone",
    ),
    pytest.param(
        {"environments": [env("Dev", "dev", 1), env("Prod", "prod", 1)]},
        ["environments", 1, "position"],
        POSITIONS_MESSAGE,
        id="positions-repeated",
    ),
    pytest.param(
        {"environments": [env("Dev", "dev", 0)]},
        ["environments", 0, "position"],
        POSITIONS_MESSAGE,
        id="position-zero",
    ),
    pytest.param(
        {"environments": [env("Dev", "Dev", 1)]},
        ["environments", 0, "slug"],
        None,
        id="bad-env-slug",
    ),
    pytest.param(
        {"environments": [{"name": "Dev", "slug": "dev"}]},
        ["environments", 0, "position"],
        None,
        id="env-without-position",
    ),
]


@pytest.mark.parametrize(("body", "path", "message"), INVALID_BODIES)
async def test_invalid_body_is_422_naming_the_item_and_changes_nothing(
    client: httpx.AsyncClient,
    world: Tokens,
    body: dict[str, Any],
    path: list[Any],
    message: str | None,
) -> None:
    before = await read_back(client, world.admin)
    response = await client.patch(URL, json=body, headers=bearer(world.admin))
    payload = assert_infisical_error(response, 422, "ValidationFailure")
    assert path in issue_paths(payload), payload
    if message is not None:
        assert message in [i["message"] for i in payload["message"] if i["path"] == path]
    assert await read_back(client, world.admin) == before


async def test_rule_errors_and_body_rule_errors_are_reported_together(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    before = await all_templates(client, world)
    body = {
        "roles": [role(slug="admin", permissions=[{"subject": "wizards", "action": "read"}])],
        "environments": [env("Dev", "dev", 5)],
    }
    response = await client.patch(URL, json=body, headers=bearer(world.admin))
    payload = assert_infisical_error(response, 422, "ValidationFailure")
    assert issue_paths(payload) == [
        ["roles", 0, "permissions", 0, "subject"],
        ["roles", 0, "slug"],
        ["environments", 0, "position"],
    ]
    assert await all_templates(client, world) == before


async def test_template_id_that_is_not_a_uuid_is_422(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    before = await all_templates(client, world)
    response = await client.patch(
        f"{BASE}/not-a-uuid", json={"description": "x"}, headers=bearer(world.admin)
    )
    payload = assert_infisical_error(response, 422, "ValidationFailure")
    assert issue_paths(payload) == [["path", "templateId"]]
    assert await all_templates(client, world) == before


# --- checks ---------------------------------------------------------------------------


async def test_missing_token_is_401(client: httpx.AsyncClient, world: Tokens) -> None:
    before = await all_templates(client, world)
    response = await client.patch(URL, json={"description": "x"})
    payload = assert_infisical_error(response, 401, "UnauthorizedError")
    assert payload["message"] == "Token missing"
    assert await all_templates(client, world) == before


async def test_unknown_template_is_404(client: httpx.AsyncClient, world: Tokens) -> None:
    before = await all_templates(client, world)
    missing = uuid.uuid4()
    response = await client.patch(
        f"{BASE}/{missing}", json={"description": "x"}, headers=bearer(world.admin)
    )
    payload = assert_infisical_error(response, 404, "NotFound")
    assert payload["message"] == f"Could not find project template with ID {missing}"
    assert await all_templates(client, world) == before


async def test_template_of_another_org_is_404(client: httpx.AsyncClient, world: Tokens) -> None:
    before = await all_templates(client, world)
    response = await client.patch(
        f"{BASE}/{OTHER_TEMPLATE}", json={"description": "x"}, headers=bearer(world.admin)
    )
    payload = assert_infisical_error(response, 404, "NotFound")
    assert payload["message"] == f"Could not find project template with ID {OTHER_TEMPLATE}"
    assert await all_templates(client, world) == before


async def test_outsider_cannot_see_or_change_this_orgs_template(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    before = await read_back(client, world.admin)
    response = await client.patch(
        URL, json={"description": "pwned"}, headers=bearer(world.outsider)
    )
    assert_infisical_error(response, 404, "NotFound")
    assert await read_back(client, world.admin) == before


@pytest.mark.parametrize("who", ["deploy", "plain"])
async def test_org_member_or_no_access_identity_cannot_edit(
    client: httpx.AsyncClient, world: Tokens, who: str
) -> None:
    before = await read_back(client, world.admin)
    response = await client.patch(
        URL, json={"description": "changed"}, headers=bearer(getattr(world, who))
    )
    payload = assert_infisical_error(response, 403, "PermissionDenied")
    assert payload["message"] == "You are not allowed to edit on project-templates"
    assert await read_back(client, world.admin) == before


async def test_missing_template_is_404_even_for_an_actor_without_permission(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    before = await all_templates(client, world)
    response = await client.patch(
        f"{BASE}/{uuid.uuid4()}", json={"description": "x"}, headers=bearer(world.deploy)
    )
    assert_infisical_error(response, 404, "NotFound")
    assert await all_templates(client, world) == before


async def test_duplicate_name_in_the_org_is_400_and_changes_nothing(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    before = await read_back(client, world.admin)
    response = await client.patch(URL, json={"name": "minimal"}, headers=bearer(world.admin))
    payload = assert_infisical_error(response, 400, "BadRequest")
    assert payload["message"] == 'A project template with the name "minimal" already exists.'
    assert await read_back(client, world.admin) == before


async def test_name_taken_in_another_org_is_free_here(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    # "standard" exists in the other org as well; renaming "minimal" to "standard" is
    # refused because of this org's template, not the other's.
    response = await client.patch(
        f"{BASE}/{SECOND_TEMPLATE}", json={"name": "golden"}, headers=bearer(world.admin)
    )
    assert response.status_code == 200, response.text


async def test_accepted_update_writes_an_audit_event(
    client: httpx.AsyncClient, world: Tokens, session: AsyncSession
) -> None:
    response = await client.patch(URL, json={"roles": []}, headers=bearer(world.admin))
    assert response.status_code == 200
    event = (
        await session.execute(
            select(AuditEvent).where(AuditEvent.action == "project-template.update")
        )
    ).scalar_one()
    assert event.target_id == TEMPLATE and event.target_type == "project-template"
    assert [r["slug"] for r in event.before["roles"]] == ["release-manager"]
    assert event.after["roles"] == []


async def update_events(client: httpx.AsyncClient, token: str) -> dict[str, dict[str, Any]]:
    """The org's project-template.update events as the audit log lists them, by request id."""
    events = await audit_log_events(client, token, "project-template.update")
    return {event["requestId"]: event for event in events}


async def test_audit_event_records_the_whole_template_before_and_after_as_stored(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    first = await client.patch(
        URL, json={"description": "first", "roles": []}, headers=bearer(world.admin)
    )
    second = await client.patch(URL, json={"name": "renamed"}, headers=bearer(world.admin))
    assert first.status_code == second.status_code == 200, [first.text, second.text]

    events = await update_events(client, world.admin)
    one = events[first.headers["x-request-id"]]
    two = events[second.headers["x-request-id"]]
    assert one["before"] == {
        "name": "standard",
        "description": "Standard secret-manager project",
        "roles": [RELEASE_MANAGER],  # as stored: rules unpacked
        "environments": TWO_ENVS,
    }
    assert one["after"] == {**one["before"], "description": "first", "roles": []}
    # The second update read the stored row: the first event's "after" is what was stored.
    assert two["before"] == one["after"]
    assert two["after"] == {**one["after"], "name": "renamed"}
    assert one["target"] == two["target"] == {"type": "project-template", "id": TEMPLATE}


async def test_refused_rename_and_stale_if_match_write_no_audit_event(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    before = await all_templates(client, world)
    taken = await client.patch(
        f"{BASE}/{SECOND_TEMPLATE}",
        json={"name": "standard", "description": "x"},
        headers=bearer(world.admin),
    )
    stale = await client.patch(
        URL, json={"description": "y"}, headers={**bearer(world.admin), "If-Match": '"old"'}
    )
    assert_infisical_error(taken, 400, "BadRequest")
    assert_infisical_error(stale, 412, "PreconditionFailed")
    assert await all_templates(client, world) == before
    assert await update_events(client, world.admin) == {}

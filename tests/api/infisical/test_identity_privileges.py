"""Endpoint B: PATCH /api/v1/additional-privilege/identity and its siblings."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.config import Settings
from rolegate.rbac.models import AdditionalPrivilege, AuditEvent
from tests.api.infisical.bc_world import (
    DEPLOY,
    LONER,
    OUTSIDER,
    PLAIN,
    PROJECT,
    Tokens,
    assert_infisical_error,
    issue_paths,
    load_world,
)
from tests.api.infisical.conftest import audit_log_events
from tests.conftest import bearer

URL = "/api/v1/additional-privilege/identity"
DEV_READ_OUT = {
    "subject": "secrets",
    "action": ["read"],
    "conditions": {"environment": "dev", "secretPath": {"$glob": "/"}},
    "inverted": False,
}
PRIVILEGE_FIELDS = {
    "id",
    "slug",
    "projectMembershipId",
    "isTemporary",
    "temporaryMode",
    "temporaryRange",
    "temporaryAccessStartTime",
    "temporaryAccessEndTime",
    "permissions",
    "createdAt",
    "updatedAt",
}


@pytest.fixture
async def world(session: AsyncSession, settings: Settings) -> Tokens:
    return await load_world(session, settings)


def body_for(
    details: dict[str, Any],
    *,
    slug: str = "read-dev-secrets",
    identity: str = DEPLOY,
    project: str = "backend",
) -> dict[str, Any]:
    return {
        "privilegeSlug": slug,
        "identityId": identity,
        "projectSlug": project,
        "privilegeDetails": details,
    }


async def read_back(
    client: httpx.AsyncClient,
    token: str,
    slug: str = "read-dev-secrets",
    identity: str = DEPLOY,
) -> dict[str, Any]:
    response = await client.get(
        f"{URL}/{slug}",
        params={"identityId": identity, "projectSlug": "backend"},
        headers=bearer(token),
    )
    assert response.status_code == 200, response.text
    privilege: dict[str, Any] = response.json()["privilege"]
    return privilege


async def slugs_of(client: httpx.AsyncClient, token: str, identity: str = DEPLOY) -> list[str]:
    response = await client.get(
        URL, params={"identityId": identity, "projectSlug": "backend"}, headers=bearer(token)
    )
    assert response.status_code == 200, response.text
    return sorted(p["slug"] for p in response.json()["privileges"])


async def world_state(client: httpx.AsyncClient, world: Tokens) -> list[Any]:
    """Every privilege of both orgs, as their admins read them: proof that nothing changed."""
    state: list[Any] = []
    for token, identity, project in (
        (world.admin, DEPLOY, "backend"),
        (world.admin, PLAIN, "backend"),
        (world.outsider, OUTSIDER, "theirs"),
    ):
        response = await client.get(
            URL, params={"identityId": identity, "projectSlug": project}, headers=bearer(token)
        )
        assert response.status_code == 200, response.text
        state.append(response.json()["privileges"])
    return state


def utc_text(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


# --- the documented bodies ------------------------------------------------------------


async def test_seed_doc_packed_body_updates_rules_and_window_and_answers_unpacked(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    body = body_for(
        {
            "slug": "read-dev-secrets",
            "permissions": [
                ["read", "secrets", {"environment": "dev", "secretPath": {"$glob": "/"}}]
            ],
            "isTemporary": True,
            "temporaryMode": "relative",
            "temporaryRange": "1h",
            "temporaryAccessStartTime": "2023-11-07T05:31:56Z",
        }
    )
    response = await client.patch(URL, json=body, headers=bearer(world.admin))
    assert response.status_code == 200, response.text
    privilege = response.json()["privilege"]
    assert set(privilege) == PRIVILEGE_FIELDS
    assert privilege["slug"] == "read-dev-secrets"
    assert privilege["permissions"] == [DEV_READ_OUT]
    assert privilege["isTemporary"] is True
    assert privilege["temporaryMode"] == "relative" and privilege["temporaryRange"] == "1h"
    assert privilege["temporaryAccessStartTime"] == "2023-11-07T05:31:56.000Z"
    assert privilege["temporaryAccessEndTime"] == "2023-11-07T06:31:56.000Z"
    assert privilege["updatedAt"].endswith("Z") and len(privilege["updatedAt"]) == 24
    assert await read_back(client, world.admin) == privilege


async def test_seed_doc_multi_rule_packed_example_is_stored_as_two_rules(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    permissions = [
        ["read", "secrets", {"environment": "dev"}],
        ["create", "secrets", {"environment": "dev"}],
    ]
    response = await client.patch(
        URL, json=body_for({"permissions": permissions}), headers=bearer(world.admin)
    )
    assert response.status_code == 200, response.text
    assert (await read_back(client, world.admin))["permissions"] == [
        {
            "subject": "secrets",
            "action": ["read"],
            "conditions": {"environment": "dev"},
            "inverted": False,
        },
        {
            "subject": "secrets",
            "action": ["create"],
            "conditions": {"environment": "dev"},
            "inverted": False,
        },
    ]


async def test_terraform_privilege_permission_body_is_accepted_as_sent(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = {
        "projectSlug": "backend",
        "identityId": DEPLOY,
        "privilegeSlug": "read-dev-secrets",
        "privilegeDetails": {
            "slug": "read-dev-secrets",
            "privilegePermission": {
                "actions": ["read"],
                "subject": "secrets",
                "conditions": {"environment": "dev", "secretPath": {"$glob": "/"}},
            },
            "isTemporary": False,
            "temporaryAccessStartTime": now,
        },
    }
    response = await client.patch(URL, json=body, headers=bearer(world.admin))
    assert response.status_code == 200, response.text
    privilege = response.json()["privilege"]
    assert privilege["permissions"] == [DEV_READ_OUT]
    assert privilege["isTemporary"] is False
    assert privilege["temporaryAccessStartTime"] is None
    assert privilege["temporaryAccessEndTime"] is None
    assert privilege["temporaryRange"] is None and privilege["temporaryMode"] is None


async def test_privilege_permission_expands_to_one_rule_per_action(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    details = {
        "privilegePermission": {
            "actions": ["read", "edit"],
            "subject": "secrets",
            "conditions": {"environment": "prod"},
        }
    }
    response = await client.patch(URL, json=body_for(details), headers=bearer(world.admin))
    assert response.status_code == 200, response.text
    assert [
        (r["action"], r["conditions"]) for r in response.json()["privilege"]["permissions"]
    ] == [
        (["read"], {"environment": "prod"}),
        (["edit"], {"environment": "prod"}),
    ]


async def test_privilege_permission_wins_when_both_forms_are_given(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    details = {
        "permissions": [["read", "secrets", {"environment": "prod"}]],
        "privilegePermission": {
            "actions": ["read"],
            "subject": "secrets",
            "conditions": {"environment": "dev", "secretPath": {"$glob": "/"}},
        },
    }
    response = await client.patch(URL, json=body_for(details), headers=bearer(world.admin))
    assert response.status_code == 200, response.text
    assert (await read_back(client, world.admin))["permissions"] == [DEV_READ_OUT]


@pytest.mark.parametrize(
    "permissions",
    [
        pytest.param(
            [["read", "secrets", {"environment": "dev", "secretPath": {"$glob": "/"}}]], id="packed"
        ),
        pytest.param(
            [["read", "secrets", {"environment": "dev", "secretPath": {"$glob": "/"}}, 0]],
            id="packed-with-inverted-0",
        ),
        pytest.param(
            [
                {
                    "subject": "secrets",
                    "action": "read",
                    "conditions": {"environment": "dev", "secretPath": {"$glob": "/"}},
                }
            ],
            id="unpacked-action-string",
        ),
    ],
)
async def test_every_input_form_stores_the_same_canonical_rules(
    client: httpx.AsyncClient, world: Tokens, session: AsyncSession, permissions: list[Any]
) -> None:
    response = await client.patch(
        URL, json=body_for({"permissions": permissions}), headers=bearer(world.admin)
    )
    assert response.status_code == 200, response.text
    assert response.json()["privilege"]["permissions"] == [DEV_READ_OUT]
    stored = (
        await session.execute(
            select(AdditionalPrivilege.permissions)
            .where(AdditionalPrivilege.slug == "read-dev-secrets")
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    assert stored == [DEV_READ_OUT]


async def test_an_explicit_eq_operator_is_stored_and_answered_as_sent(
    client: httpx.AsyncClient, world: Tokens, session: AsyncSession
) -> None:
    # Issue 15: Terraform compares what it sent with what it reads back.
    sent = {
        "subject": "secrets",
        "action": ["read"],
        "conditions": {"environment": {"$eq": "dev"}, "secretPath": {"$glob": "/"}},
        "inverted": False,
    }
    response = await client.patch(
        URL, json=body_for({"permissions": [sent]}), headers=bearer(world.admin)
    )
    assert response.status_code == 200, response.text
    assert response.json()["privilege"]["permissions"] == [sent]
    stored = (
        await session.execute(
            select(AdditionalPrivilege.permissions)
            .where(AdditionalPrivilege.slug == "read-dev-secrets")
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    assert stored == [sent]


async def test_packed_and_unpacked_round_trip_to_identical_rules(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    unpacked = [
        {
            "subject": "secrets",
            "action": ["read", "edit"],
            "conditions": {
                "environment": {"$in": ["dev", "prod"]},
                "secretName": {"$ne": "KEY"},
                "secretTags": {"$in": ["a"]},
            },
            "inverted": False,
        },
        {
            "subject": "secrets",
            "action": ["delete"],
            "conditions": {"secretPath": {"$glob": "/x/**"}},
            "inverted": True,
        },
        {
            "subject": "identity",
            "action": ["read"],
            "conditions": {"identityId": PLAIN},
            "inverted": False,
        },
    ]
    first = await client.patch(
        URL, json=body_for({"permissions": unpacked}), headers=bearer(world.admin)
    )
    assert first.status_code == 200, first.text
    answered = first.json()["privilege"]["permissions"]
    assert answered == unpacked
    packed = [
        [",".join(r["action"]), r["subject"], r["conditions"], int(r["inverted"])] for r in answered
    ]
    second = await client.patch(
        URL, json=body_for({"permissions": packed}), headers=bearer(world.admin)
    )
    assert second.status_code == 200, second.text
    assert second.json()["privilege"]["permissions"] == answered


# --- partial update -------------------------------------------------------------------


async def test_slug_only_update_renames_and_keeps_rules_and_window(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    before = await read_back(client, world.admin)
    response = await client.patch(
        URL, json=body_for({"slug": "dev-secrets"}), headers=bearer(world.admin)
    )
    assert response.status_code == 200, response.text
    after = await read_back(client, world.admin, "dev-secrets")
    assert after["id"] == before["id"]
    assert after["permissions"] == before["permissions"]
    assert after["isTemporary"] is False
    assert await slugs_of(client, world.admin) == ["dev-secrets"]


async def test_window_only_update_keeps_slug_and_rules(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    details = {
        "isTemporary": True,
        "temporaryMode": "relative",
        "temporaryRange": "2w",
        "temporaryAccessStartTime": "2030-01-01T00:00:00+02:00",
    }
    response = await client.patch(URL, json=body_for(details), headers=bearer(world.admin))
    assert response.status_code == 200, response.text
    after = await read_back(client, world.admin)
    assert after["permissions"] == [DEV_READ_OUT]
    assert after["temporaryAccessStartTime"] == "2029-12-31T22:00:00.000Z"
    assert after["temporaryAccessEndTime"] == "2030-01-14T22:00:00.000Z"


async def test_is_temporary_false_clears_the_window(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    details = {
        "isTemporary": True,
        "temporaryMode": "relative",
        "temporaryRange": "1d",
        "temporaryAccessStartTime": "2030-01-01T00:00:00Z",
    }
    assert (
        await client.patch(URL, json=body_for(details), headers=bearer(world.admin))
    ).status_code == 200
    response = await client.patch(
        URL, json=body_for({"isTemporary": False}), headers=bearer(world.admin)
    )
    assert response.status_code == 200, response.text
    after = await read_back(client, world.admin)
    assert after["isTemporary"] is False
    assert after["temporaryMode"] is None and after["temporaryRange"] is None
    assert after["temporaryAccessStartTime"] is None and after["temporaryAccessEndTime"] is None


async def test_renaming_to_its_own_slug_is_accepted(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    response = await client.patch(
        URL, json=body_for({"slug": "read-dev-secrets"}), headers=bearer(world.admin)
    )
    assert response.status_code == 200, response.text
    assert await slugs_of(client, world.admin) == ["read-dev-secrets"]


async def test_empty_permissions_list_clears_the_rules(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    response = await client.patch(
        URL, json=body_for({"permissions": []}), headers=bearer(world.admin)
    )
    assert response.status_code == 200, response.text
    assert (await read_back(client, world.admin))["permissions"] == []


async def test_deny_rules_are_kept_as_deny(client: httpx.AsyncClient, world: Tokens) -> None:
    permissions = [
        ["read", "secrets", {"environment": "dev"}],
        ["read", "secrets", {"environment": "dev", "secretName": "DB_PASSWORD"}, 1],
    ]
    response = await client.patch(
        URL, json=body_for({"permissions": permissions}), headers=bearer(world.admin)
    )
    assert response.status_code == 200, response.text
    assert [r["inverted"] for r in (await read_back(client, world.admin))["permissions"]] == [
        False,
        True,
    ]


# --- validation -----------------------------------------------------------------------

_START = "2030-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("body", "path"),
    [
        (body_for({"slug": "Not-A-Slug"}), ["privilegeDetails", "slug"]),
        (body_for({"slug": "a" * 61}), ["privilegeDetails", "slug"]),
        (body_for({"slug": ""}), ["privilegeDetails", "slug"]),
        (body_for({"slug": "double--hyphen"}), ["privilegeDetails", "slug"]),
        (body_for({}, slug=""), ["privilegeSlug"]),
        (body_for({}, project=""), ["projectSlug"]),
        (body_for({}, identity=""), ["identityId"]),
        (body_for({}, identity="not-a-uuid"), ["identityId"]),
        (
            {"privilegeSlug": "x", "identityId": DEPLOY, "projectSlug": "backend"},
            ["privilegeDetails"],
        ),
        (
            body_for({"permissions": [["read", "wizards"]]}),
            ["privilegeDetails", "permissions", 0, 1],
        ),
        (
            body_for({"permissions": [["fly", "secrets"]]}),
            ["privilegeDetails", "permissions", 0, 0],
        ),
        (
            body_for(
                {
                    "permissions": [
                        {"subject": "secrets", "action": ["read"], "conditions": {"colour": "blue"}}
                    ]
                }
            ),
            ["privilegeDetails", "permissions", 0, "conditions", "colour"],
        ),
        (
            body_for(
                {
                    "permissions": [
                        {
                            "subject": "secrets",
                            "action": "read",
                            "conditions": {"environment": {"$regex": "d.*"}},
                        }
                    ]
                }
            ),
            ["privilegeDetails", "permissions", 0, "conditions", "environment", "$regex"],
        ),
        (
            body_for({"permissions": [["read", "secrets", {"secretPath": {"$glob": "no-slash"}}]]}),
            ["privilegeDetails", "permissions", 0, 2, "secretPath", "$glob"],
        ),
        (
            body_for({"permissions": [["read", "secrets", {"secretTags": {"$eq": "x"}}]]}),
            ["privilegeDetails", "permissions", 0, 2, "secretTags", "$eq"],
        ),
        (
            body_for({"permissions": [{"subject": "project-templates", "action": "read"}]}),
            ["privilegeDetails", "permissions", 0, "subject"],
        ),
        (body_for({"permissions": "read secrets"}), ["privilegeDetails", "permissions"]),
        (
            body_for({"privilegePermission": {"actions": ["read"], "subject": "wizards"}}),
            ["privilegeDetails", "privilegePermission", "subject"],
        ),
        (
            body_for({"privilegePermission": {"subject": "secrets"}}),
            ["privilegeDetails", "privilegePermission", "actions"],
        ),
        (
            body_for(
                {
                    "isTemporary": True,
                    "temporaryMode": "relative",
                    "temporaryAccessStartTime": _START,
                }
            ),
            ["privilegeDetails", "temporaryRange"],
        ),
        (
            body_for(
                {"isTemporary": True, "temporaryRange": "1h", "temporaryAccessStartTime": _START}
            ),
            ["privilegeDetails", "temporaryMode"],
        ),
        (
            body_for({"isTemporary": True, "temporaryMode": "relative", "temporaryRange": "1h"}),
            ["privilegeDetails", "temporaryAccessStartTime"],
        ),
        (
            body_for(
                {
                    "isTemporary": True,
                    "temporaryMode": "relative",
                    "temporaryRange": "0s",
                    "temporaryAccessStartTime": _START,
                }
            ),
            ["privilegeDetails", "temporaryRange"],
        ),
        (
            body_for(
                {
                    "isTemporary": True,
                    "temporaryMode": "relative",
                    "temporaryRange": "-1h",
                    "temporaryAccessStartTime": _START,
                }
            ),
            ["privilegeDetails", "temporaryRange"],
        ),
        (
            body_for(
                {
                    "isTemporary": True,
                    "temporaryMode": "relative",
                    "temporaryRange": "soon",
                    "temporaryAccessStartTime": _START,
                }
            ),
            ["privilegeDetails", "temporaryRange"],
        ),
        (
            body_for(
                {
                    "isTemporary": True,
                    "temporaryMode": "relative",
                    "temporaryRange": "1h",
                    "temporaryAccessStartTime": "2030-01-01T00:00:00",
                }
            ),
            ["privilegeDetails", "temporaryAccessStartTime"],
        ),
        (body_for({"temporaryRange": "1h"}), ["privilegeDetails"]),
    ],
)
async def test_invalid_body_is_422_with_the_path_and_changes_nothing(
    client: httpx.AsyncClient, world: Tokens, body: dict[str, Any], path: list[Any]
) -> None:
    before = await read_back(client, world.admin)
    response = await client.patch(URL, json=body, headers=bearer(world.admin))
    payload = assert_infisical_error(response, 422, "ValidationFailure")
    assert path in issue_paths(payload), payload
    assert await read_back(client, world.admin) == before


async def test_temporary_range_message_is_the_contracts(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    details = {
        "isTemporary": True,
        "temporaryMode": "relative",
        "temporaryRange": "0",
        "temporaryAccessStartTime": _START,
    }
    response = await client.patch(URL, json=body_for(details), headers=bearer(world.admin))
    payload = assert_infisical_error(response, 422, "ValidationFailure")
    assert "Temporary range must be a positive number" in [i["message"] for i in payload["message"]]


# --- checks, in order -----------------------------------------------------------------


async def test_returns_401_token_missing_before_validating_body(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    before = await world_state(client, world)
    response = await client.patch(
        URL, content=b"{oops", headers={"content-type": "application/json"}
    )
    payload = assert_infisical_error(response, 401, "UnauthorizedError")
    assert payload["message"] == "Token missing"
    assert await world_state(client, world) == before


async def test_invalid_token_is_401_token_error(client: httpx.AsyncClient, world: Tokens) -> None:
    before = await world_state(client, world)
    response = await client.patch(URL, json=body_for({}), headers=bearer("a.b.c"))
    assert_infisical_error(response, 401, "TokenError")
    assert await world_state(client, world) == before


async def test_unknown_project_slug_is_404(client: httpx.AsyncClient, world: Tokens) -> None:
    before = await world_state(client, world)
    response = await client.patch(
        URL, json=body_for({"slug": "x"}, project="nowhere"), headers=bearer(world.admin)
    )
    payload = assert_infisical_error(response, 404, "NotFound")
    assert payload["message"] == "Project with slug nowhere not found"
    assert await world_state(client, world) == before


async def test_project_of_another_org_is_404(client: httpx.AsyncClient, world: Tokens) -> None:
    before = await world_state(client, world)
    response = await client.patch(
        URL,
        json=body_for({"slug": "x"}, slug="theirs", identity=OUTSIDER, project="theirs"),
        headers=bearer(world.admin),
    )
    payload = assert_infisical_error(response, 404, "NotFound")
    assert payload["message"] == "Project with slug theirs not found"
    assert await world_state(client, world) == before


async def test_token_of_another_org_sees_no_project(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    response = await client.patch(
        URL, json=body_for({"slug": "stolen"}), headers=bearer(world.outsider)
    )
    assert_infisical_error(response, 404, "NotFound")
    assert await slugs_of(client, world.admin) == ["read-dev-secrets"]


@pytest.mark.parametrize("identity", [LONER, OUTSIDER, "00000000-0000-4000-8000-0000000bffff"])
async def test_identity_not_in_project_is_404(
    client: httpx.AsyncClient, world: Tokens, identity: str
) -> None:
    before = await world_state(client, world)
    response = await client.patch(
        URL, json=body_for({"slug": "x"}, identity=identity), headers=bearer(world.admin)
    )
    payload = assert_infisical_error(response, 404, "NotFound")
    assert payload["message"] == f"Failed to find identity with id {identity}"
    assert await world_state(client, world) == before


async def test_unknown_privilege_slug_is_404_with_infisicals_message(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    before = await world_state(client, world)
    response = await client.patch(
        URL, json=body_for({"slug": "x"}, slug="nope"), headers=bearer(world.admin)
    )
    payload = assert_infisical_error(response, 404, "NotFound")
    assert payload["message"] == (
        "Identity additional privilege with slug 'nope' not found for the specified identity"
        f" with ID '{DEPLOY}'"
    )
    assert await world_state(client, world) == before


async def test_privilege_lookup_comes_before_the_permission_check(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    before = await world_state(client, world)
    response = await client.patch(
        URL, json=body_for({"slug": "x"}, slug="nope"), headers=bearer(world.viewer)
    )
    assert_infisical_error(response, 404, "NotFound")
    assert await world_state(client, world) == before


async def test_actor_without_edit_on_identity_is_403_and_changes_nothing(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    before = await read_back(client, world.admin)
    response = await client.patch(
        URL, json=body_for({"slug": "renamed"}), headers=bearer(world.viewer)
    )
    payload = assert_infisical_error(response, 403, "PermissionDenied")
    assert payload["message"] == "You are not allowed to edit on identity"
    assert await read_back(client, world.admin) == before


async def test_limited_actor_cannot_grant_prod_when_it_holds_dev_only(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    before = await read_back(client, world.admin, "dev-reader", PLAIN)
    details = {"permissions": [["read", "secrets", {"environment": "prod"}]]}
    response = await client.patch(
        URL,
        json=body_for(details, slug="dev-reader", identity=PLAIN),
        headers=bearer(world.grantor),
    )
    payload = assert_infisical_error(response, 403, "PermissionBoundaryError")
    assert payload["details"]["missingPermissions"] == [
        {"subject": "secrets", "action": "read", "conditions": {"environment": "prod"}}
    ]
    assert await read_back(client, world.admin, "dev-reader", PLAIN) == before


async def test_limited_actor_can_grant_what_it_holds_for_dev(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    details = {
        "permissions": [
            ["read", "secrets", {"environment": "dev", "secretPath": {"$glob": "/app/**"}}]
        ]
    }
    response = await client.patch(
        URL,
        json=body_for(details, slug="dev-reader", identity=PLAIN),
        headers=bearer(world.grantor),
    )
    assert response.status_code == 200, response.text
    stored = (await read_back(client, world.admin, "dev-reader", PLAIN))["permissions"]
    assert stored == [
        {
            "subject": "secrets",
            "action": ["read"],
            "conditions": {"environment": "dev", "secretPath": {"$glob": "/app/**"}},
            "inverted": False,
        }
    ]


async def test_limited_actor_cannot_edit_an_identity_more_powerful_than_itself(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    # deploy-bot is a viewer (reads everything); limited-bot reads secrets in dev only.
    response = await client.patch(
        URL, json=body_for({"slug": "renamed"}), headers=bearer(world.grantor)
    )
    payload = assert_infisical_error(response, 403, "PermissionBoundaryError")
    assert {"subject": "secrets", "action": "read"} in payload["details"]["missingPermissions"]
    assert await slugs_of(client, world.admin) == ["read-dev-secrets"]


async def test_taken_slug_is_400_and_changes_nothing(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    response = await client.patch(
        URL,
        json=body_for({"slug": "spare"}, slug="dev-reader", identity=PLAIN),
        headers=bearer(world.admin),
    )
    payload = assert_infisical_error(response, 400, "BadRequest")
    assert payload["message"] == "Privilege with slug spare already exists"
    assert await slugs_of(client, world.admin, PLAIN) == ["dev-reader", "spare"]


async def test_same_slug_on_another_identity_is_not_a_conflict(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    response = await client.patch(
        URL, json=body_for({"slug": "dev-reader"}), headers=bearer(world.admin)
    )
    assert response.status_code == 200, response.text


async def test_accepted_update_writes_one_audit_event(
    client: httpx.AsyncClient, world: Tokens, session: AsyncSession
) -> None:
    response = await client.patch(
        URL, json=body_for({"slug": "renamed"}), headers=bearer(world.admin)
    )
    assert response.status_code == 200
    events = (
        (
            await session.execute(
                select(AuditEvent).where(AuditEvent.action == "identity-privilege.update")
            )
        )
        .scalars()
        .all()
    )
    assert len(events) == 1
    event = events[0]
    assert event.target_id == response.json()["privilege"]["id"]
    assert event.before["slug"] == "read-dev-secrets" and event.after["slug"] == "renamed"
    assert event.actor_id and event.request_id == response.headers["x-request-id"]


async def test_refused_update_writes_no_audit_event(
    client: httpx.AsyncClient, world: Tokens, session: AsyncSession
) -> None:
    response = await client.patch(
        URL, json=body_for({"slug": "renamed"}), headers=bearer(world.viewer)
    )
    assert response.status_code == 403
    count = (
        await session.execute(
            select(AuditEvent.id).where(AuditEvent.action.like("identity-privilege.%"))
        )
    ).all()
    assert count == []


async def update_events(client: httpx.AsyncClient, token: str) -> dict[str, dict[str, Any]]:
    """The org's identity-privilege.update events as the audit log lists them, by request id."""
    events = await audit_log_events(client, token, "identity-privilege.update")
    return {event["requestId"]: event for event in events}


async def test_audit_event_records_the_privilege_before_and_after_as_stored(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    window = {
        "permissions": [["read", "secrets", {"environment": "prod"}]],
        "isTemporary": True,
        "temporaryMode": "relative",
        "temporaryRange": "1h",
        "temporaryAccessStartTime": "2030-01-01T00:00:00Z",
    }
    first = await client.patch(URL, json=body_for(window), headers=bearer(world.admin))
    second = await client.patch(
        URL, json=body_for({"slug": "renamed"}), headers=bearer(world.admin)
    )
    assert first.status_code == second.status_code == 200, [first.text, second.text]

    events = await update_events(client, world.admin)
    one = events[first.headers["x-request-id"]]
    two = events[second.headers["x-request-id"]]
    where = {"projectId": PROJECT, "identityId": DEPLOY}
    assert one["before"] == {
        **where,
        "slug": "read-dev-secrets",
        "permissions": one["before"]["permissions"],
        "isTemporary": False,
        "temporaryRange": None,
        "startsAt": None,
        "endsAt": None,
    }
    assert one["after"] == {
        **where,
        "slug": "read-dev-secrets",
        "permissions": [
            {
                "subject": "secrets",
                "action": ["read"],
                "conditions": {"environment": "prod"},
                "inverted": False,
            }
        ],
        "isTemporary": True,
        "temporaryRange": "1h",
        "startsAt": "2030-01-01T00:00:00+00:00",
        "endsAt": "2030-01-01T01:00:00+00:00",
    }
    # The second update read the stored row: the first event's "after" is what was stored.
    assert two["before"] == one["after"]
    assert two["after"] == {**one["after"], "slug": "renamed"}
    assert two["target"]["id"] == one["target"]["id"] == first.json()["privilege"]["id"]


async def test_refusals_after_the_lock_write_nothing_and_no_audit_event(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    before = await world_state(client, world)
    # Beyond the actor's boundary (it reads secrets in dev only) ...
    beyond = await client.patch(
        URL,
        json=body_for(
            {"permissions": [["read", "secrets", {"environment": "prod"}]]},
            slug="dev-reader",
            identity=PLAIN,
        ),
        headers=bearer(world.grantor),
    )
    # ... a slug another privilege of the identity has ...
    taken = await client.patch(
        URL,
        json=body_for({"slug": "spare", "isTemporary": False}, slug="dev-reader", identity=PLAIN),
        headers=bearer(world.admin),
    )
    # ... and an If-Match that is not the privilege's ETag.
    stale = await client.patch(
        URL,
        json=body_for({"slug": "renamed"}),
        headers={**bearer(world.admin), "If-Match": '"not-the-etag"'},
    )

    assert_infisical_error(beyond, 403, "PermissionBoundaryError")
    assert_infisical_error(taken, 400, "BadRequest")
    assert_infisical_error(stale, 412, "PreconditionFailed")
    assert await world_state(client, world) == before
    assert await update_events(client, world.admin) == {}

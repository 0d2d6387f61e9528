"""Endpoint B's siblings (create, get, list, delete) and temporary windows being enforced."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.config import Settings
from rolegate.rbac.evaluation import project_rules
from rolegate.rbac.models import AuditEvent
from rolegate.rbac.permissions.rules import Ability
from tests.api.infisical.bc_world import (
    DEPLOY,
    PLAIN,
    PROJECT,
    TEMP,
    Tokens,
    assert_infisical_error,
    issue_paths,
    load_world,
)
from tests.conftest import bearer

URL = "/api/v1/additional-privilege/identity"
PERMANENT = f"{URL}/permanent"
TEMPORARY = f"{URL}/temporary"
IDENTITY_READ = [{"subject": "identity", "action": ["read"]}]


@pytest.fixture
async def world(session: AsyncSession, settings: Settings) -> Tokens:
    return await load_world(session, settings)


def where(identity: str = DEPLOY) -> dict[str, str]:
    return {"identityId": identity, "projectSlug": "backend"}


async def slugs_of(client: httpx.AsyncClient, token: str, identity: str = DEPLOY) -> list[str]:
    response = await client.get(URL, params=where(identity), headers=bearer(token))
    assert response.status_code == 200, response.text
    return sorted(p["slug"] for p in response.json()["privileges"])


def iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- create ---------------------------------------------------------------------------


async def test_create_permanent_privilege_with_slug(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    response = await client.post(
        PERMANENT,
        json={
            **where(),
            "slug": "prod-reader",
            "permissions": [["read", "secrets", {"environment": "prod"}]],
        },
        headers=bearer(world.admin),
    )
    assert response.status_code == 200, response.text
    privilege = response.json()["privilege"]
    assert privilege["slug"] == "prod-reader" and privilege["isTemporary"] is False
    assert privilege["permissions"] == [
        {
            "subject": "secrets",
            "action": ["read"],
            "conditions": {"environment": "prod"},
            "inverted": False,
        }
    ]
    assert await slugs_of(client, world.admin) == ["prod-reader", "read-dev-secrets"]


async def test_create_without_slug_generates_one(client: httpx.AsyncClient, world: Tokens) -> None:
    response = await client.post(
        PERMANENT, json={**where(), "permissions": IDENTITY_READ}, headers=bearer(world.admin)
    )
    assert response.status_code == 200, response.text
    slug = response.json()["privilege"]["slug"]
    assert len(slug) == 12 and slug.isalnum() and slug == slug.lower()


async def test_create_accepts_terraforms_privilege_permission(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    body = {
        **where(),
        "slug": "tf",
        "privilegePermission": {
            "actions": ["read", "create"],
            "subject": "secrets",
            "conditions": {"environment": "dev"},
        },
    }
    response = await client.post(PERMANENT, json=body, headers=bearer(world.admin))
    assert response.status_code == 200, response.text
    assert [r["action"] for r in response.json()["privilege"]["permissions"]] == [
        ["read"],
        ["create"],
    ]


async def test_create_needs_permissions(client: httpx.AsyncClient, world: Tokens) -> None:
    response = await client.post(
        PERMANENT, json={**where(), "slug": "empty"}, headers=bearer(world.admin)
    )
    payload = assert_infisical_error(response, 422, "ValidationFailure")
    assert ["permissions"] in issue_paths(payload)
    assert await slugs_of(client, world.admin) == ["read-dev-secrets"]


async def test_create_with_a_taken_slug_is_400(client: httpx.AsyncClient, world: Tokens) -> None:
    response = await client.post(
        PERMANENT,
        json={**where(), "slug": "read-dev-secrets", "permissions": IDENTITY_READ},
        headers=bearer(world.admin),
    )
    payload = assert_infisical_error(response, 400, "BadRequest")
    assert payload["message"] == "Privilege with slug read-dev-secrets already exists"
    assert await slugs_of(client, world.admin) == ["read-dev-secrets"]


async def test_create_temporary_privilege_stores_its_window(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    body = {
        **where(),
        "slug": "short",
        "permissions": IDENTITY_READ,
        "temporaryMode": "relative",
        "temporaryRange": "1.5h",
        "temporaryAccessStartTime": "2030-05-01T10:00:00Z",
    }
    response = await client.post(TEMPORARY, json=body, headers=bearer(world.admin))
    assert response.status_code == 200, response.text
    privilege = response.json()["privilege"]
    assert privilege["isTemporary"] is True and privilege["temporaryRange"] == "1.5h"
    assert privilege["temporaryAccessStartTime"] == "2030-05-01T10:00:00.000Z"
    assert privilege["temporaryAccessEndTime"] == "2030-05-01T11:30:00.000Z"


@pytest.mark.parametrize(
    ("missing", "path"),
    [
        ("temporaryMode", ["temporaryMode"]),
        ("temporaryRange", ["temporaryRange"]),
        ("temporaryAccessStartTime", ["temporaryAccessStartTime"]),
    ],
)
async def test_create_temporary_needs_every_temporary_field(
    client: httpx.AsyncClient, world: Tokens, missing: str, path: list[str]
) -> None:
    body: dict[str, Any] = {
        **where(),
        "slug": "short",
        "permissions": IDENTITY_READ,
        "temporaryMode": "relative",
        "temporaryRange": "1h",
        "temporaryAccessStartTime": "2030-05-01T10:00:00Z",
    }
    del body[missing]
    response = await client.post(TEMPORARY, json=body, headers=bearer(world.admin))
    payload = assert_infisical_error(response, 422, "ValidationFailure")
    assert path in issue_paths(payload)
    assert await slugs_of(client, world.admin) == ["read-dev-secrets"]


async def test_viewer_cannot_create_a_privilege(client: httpx.AsyncClient, world: Tokens) -> None:
    response = await client.post(
        PERMANENT,
        json={**where(), "slug": "sneaky", "permissions": IDENTITY_READ},
        headers=bearer(world.viewer),
    )
    payload = assert_infisical_error(response, 403, "PermissionDenied")
    assert payload["message"] == "You are not allowed to create on identity"
    assert await slugs_of(client, world.admin) == ["read-dev-secrets"]


async def test_limited_actor_cannot_create_a_privilege_beyond_its_own(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    response = await client.post(
        PERMANENT,
        json={
            **where(PLAIN),
            "slug": "prod",
            "permissions": [["read", "secrets", {"environment": "prod"}]],
        },
        headers=bearer(world.grantor),
    )
    payload = assert_infisical_error(response, 403, "PermissionBoundaryError")
    assert payload["details"]["missingPermissions"] == [
        {"subject": "secrets", "action": "read", "conditions": {"environment": "prod"}}
    ]
    assert await slugs_of(client, world.admin, PLAIN) == ["dev-reader", "spare"]


async def test_granting_a_deny_rule_needs_no_covering(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    response = await client.post(
        PERMANENT,
        json={
            **where(PLAIN),
            "slug": "no-prod",
            "permissions": [["read", "secrets", {"environment": "prod"}, 1]],
        },
        headers=bearer(world.grantor),
    )
    assert response.status_code == 200, response.text
    assert response.json()["privilege"]["permissions"][0]["inverted"] is True


# --- read -----------------------------------------------------------------------------


async def test_get_one_and_list(client: httpx.AsyncClient, world: Tokens) -> None:
    one = await client.get(f"{URL}/read-dev-secrets", params=where(), headers=bearer(world.viewer))
    assert one.status_code == 200, one.text
    assert one.json()["privilege"]["slug"] == "read-dev-secrets"
    listed = await client.get(URL, params=where(PLAIN), headers=bearer(world.viewer))
    assert listed.status_code == 200
    assert [p["slug"] for p in listed.json()["privileges"]] == ["dev-reader", "spare"]


async def test_get_unknown_privilege_is_404(client: httpx.AsyncClient, world: Tokens) -> None:
    response = await client.get(f"{URL}/nope", params=where(), headers=bearer(world.admin))
    assert_infisical_error(response, 404, "NotFound")
    assert await slugs_of(client, world.admin) == ["read-dev-secrets"]


async def test_list_needs_its_query_parameters(client: httpx.AsyncClient, world: Tokens) -> None:
    response = await client.get(URL, headers=bearer(world.admin))
    payload = assert_infisical_error(response, 422, "ValidationFailure")
    assert ["query", "identityId"] in issue_paths(payload)


async def test_list_without_read_on_identity_is_403(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    response = await client.get(URL, params=where(), headers=bearer(world.plain))
    payload = assert_infisical_error(response, 403, "PermissionDenied")
    assert payload["message"] == "You are not allowed to read on identity"


# --- delete ---------------------------------------------------------------------------


async def test_delete_with_a_body(
    client: httpx.AsyncClient, world: Tokens, session: AsyncSession
) -> None:
    response = await client.request(
        "DELETE",
        URL,
        json={"privilegeSlug": "spare", **where(PLAIN)},
        headers=bearer(world.admin),
    )
    assert response.status_code == 200, response.text
    assert response.json()["privilege"]["slug"] == "spare"
    assert await slugs_of(client, world.admin, PLAIN) == ["dev-reader"]
    events = (
        (
            await session.execute(
                select(AuditEvent).where(AuditEvent.action == "identity-privilege.delete")
            )
        )
        .scalars()
        .all()
    )
    assert len(events) == 1 and events[0].after is None and events[0].before["slug"] == "spare"


async def test_delete_with_query_parameters(client: httpx.AsyncClient, world: Tokens) -> None:
    response = await client.delete(
        URL, params={"privilegeSlug": "spare", **where(PLAIN)}, headers=bearer(world.admin)
    )
    assert response.status_code == 200, response.text
    assert await slugs_of(client, world.admin, PLAIN) == ["dev-reader"]


async def test_delete_without_its_keys_is_422(client: httpx.AsyncClient, world: Tokens) -> None:
    response = await client.delete(URL, params=where(PLAIN), headers=bearer(world.admin))
    payload = assert_infisical_error(response, 422, "ValidationFailure")
    assert issue_paths(payload) == [["privilegeSlug"]]
    assert await slugs_of(client, world.admin, PLAIN) == ["dev-reader", "spare"]


async def test_delete_unknown_privilege_is_404(client: httpx.AsyncClient, world: Tokens) -> None:
    response = await client.request(
        "DELETE", URL, json={"privilegeSlug": "nope", **where()}, headers=bearer(world.admin)
    )
    assert_infisical_error(response, 404, "NotFound")
    assert await slugs_of(client, world.admin) == ["read-dev-secrets"]


async def test_limited_actor_cannot_delete_a_more_powerful_identitys_privilege(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    # privilege-granter has no delete on identity at all.
    response = await client.request(
        "DELETE",
        URL,
        json={"privilegeSlug": "read-dev-secrets", **where()},
        headers=bearer(world.grantor),
    )
    payload = assert_infisical_error(response, 403, "PermissionDenied")
    assert payload["message"] == "You are not allowed to delete on identity"
    assert await slugs_of(client, world.admin) == ["read-dev-secrets"]


async def test_create_writes_an_audit_event(
    client: httpx.AsyncClient, world: Tokens, session: AsyncSession
) -> None:
    response = await client.post(
        PERMANENT,
        json={**where(), "slug": "audited", "permissions": IDENTITY_READ},
        headers=bearer(world.admin),
    )
    assert response.status_code == 200
    event = (
        await session.execute(
            select(AuditEvent).where(AuditEvent.action == "identity-privilege.create")
        )
    ).scalar_one()
    assert event.before is None and event.after["slug"] == "audited"
    assert event.target_type == "identity-privilege"


# --- temporary windows are enforced ---------------------------------------------------


async def _give_temp_bot_identity_read(
    client: httpx.AsyncClient, token: str, start: dt.datetime, range_: str
) -> None:
    response = await client.post(
        TEMPORARY,
        json={
            **where(TEMP),
            "slug": "read-identities",
            "permissions": IDENTITY_READ,
            "temporaryMode": "relative",
            "temporaryRange": range_,
            "temporaryAccessStartTime": iso(start),
        },
        headers=bearer(token),
    )
    assert response.status_code == 200, response.text


async def test_active_temporary_privilege_grants_access(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    now = dt.datetime.now(dt.UTC)
    await _give_temp_bot_identity_read(client, world.admin, now - dt.timedelta(minutes=1), "1h")
    response = await client.get(URL, params=where(TEMP), headers=bearer(world.temp))
    assert response.status_code == 200, response.text


async def test_expired_temporary_privilege_no_longer_grants_access(
    client: httpx.AsyncClient, world: Tokens, session: AsyncSession
) -> None:
    now = dt.datetime.now(dt.UTC)
    await _give_temp_bot_identity_read(client, world.admin, now - dt.timedelta(hours=2), "1h")
    response = await client.get(URL, params=where(TEMP), headers=bearer(world.temp))
    payload = assert_infisical_error(response, 403, "PermissionDenied")
    assert payload["message"] == "You are not allowed to read on identity"

    rules = await project_rules(
        session,
        kind="identity",
        principal_id=uuid.UUID(TEMP),
        project_id=uuid.UUID(PROJECT),
        now=dt.datetime.now(dt.UTC),
    )
    assert not Ability(rules).can("read", "identity")
    # The same privilege counted while its window was open.
    during = await project_rules(
        session,
        kind="identity",
        principal_id=uuid.UUID(TEMP),
        project_id=uuid.UUID(PROJECT),
        now=now - dt.timedelta(minutes=90),
    )
    assert Ability(during).can("read", "identity")


async def test_privilege_whose_window_has_not_started_grants_nothing_yet(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    now = dt.datetime.now(dt.UTC)
    await _give_temp_bot_identity_read(client, world.admin, now + dt.timedelta(hours=1), "1h")
    response = await client.get(URL, params=where(TEMP), headers=bearer(world.temp))
    assert_infisical_error(response, 403, "PermissionDenied")


async def test_reopening_an_expired_window_by_patch_restores_access(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    now = dt.datetime.now(dt.UTC)
    await _give_temp_bot_identity_read(client, world.admin, now - dt.timedelta(hours=2), "1h")
    assert (
        await client.get(URL, params=where(TEMP), headers=bearer(world.temp))
    ).status_code == 403
    response = await client.patch(
        URL,
        json={
            "privilegeSlug": "read-identities",
            **where(TEMP),
            "privilegeDetails": {
                "isTemporary": True,
                "temporaryMode": "relative",
                "temporaryRange": "1h",
                "temporaryAccessStartTime": iso(now - dt.timedelta(minutes=5)),
            },
        },
        headers=bearer(world.admin),
    )
    assert response.status_code == 200, response.text
    assert (
        await client.get(URL, params=where(TEMP), headers=bearer(world.temp))
    ).status_code == 200


async def test_deny_rule_in_a_privilege_is_enforced(
    client: httpx.AsyncClient, world: Tokens
) -> None:
    response = await client.post(
        PERMANENT,
        json={
            **where(TEMP),
            "slug": "allow-then-deny",
            "permissions": [["read", "identity"], ["read", "identity", 0, 1]],
        },
        headers=bearer(world.admin),
    )
    assert response.status_code == 200, response.text
    denied = await client.get(URL, params=where(TEMP), headers=bearer(world.temp))
    assert_infisical_error(denied, 403, "PermissionDenied")

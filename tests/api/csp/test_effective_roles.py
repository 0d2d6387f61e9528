"""GET …/orgs/{orgId}/groups/{groupId}/effective-roles and …/users/{userId}/effective-roles:
a principal's roles from every surface at a moment, in CSP's RoleBinding shape, each with
its sources."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac.models import AuditEvent, Role, RoleAssignment
from rolegate.rbac.org_grants import held_catalogue_roles
from tests.api.csp.conftest import (
    CONSOLE,
    DEV,
    ENGINEERING,
    MEMBER,
    ORG,
    OTHER_GROUP,
    OTHER_ORG,
    OTHER_OWNER,
    Tokens,
    assert_csp_error,
    csp,
)

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
HOUR = dt.timedelta(hours=1)
BASE = "/csp/gateway/am/api/orgs"
NOWHERE = "00000000-0000-4000-8000-00000000dead"


def user_url(user: str = MEMBER, org: str = ORG) -> str:
    return f"{BASE}/{org}/users/{user}/effective-roles"


def group_url(group: str = ENGINEERING, org: str = ORG) -> str:
    return f"{BASE}/{org}/groups/{group}/effective-roles"


def email_is(email: str) -> dict[str, Any]:
    return {
        "gate": "AND",
        "rules": [{"type": "user", "operator": "has_value", "key": "email", "value": email}],
    }


@pytest.fixture
async def grants(world: None, session: AsyncSession) -> dict[str, uuid.UUID]:
    """On top of the CSP world: an expired direct org_admin of the member, a service role of
    Engineering that ends in an hour, and three ctrl-hub bindings of Engineering — developer
    and release-manager for member@acme.test, billing_read_only for dev@acme.test."""
    org, group = uuid.UUID(ORG), uuid.UUID(ENGINEERING)

    async def role(name: str) -> Role:
        stmt = select(Role).where(Role.org_id == org, Role.name == name)
        return (await session.execute(stmt)).scalar_one()

    service_user = await role("service:user")
    release_manager = await role("release-manager")
    rows: dict[str, dict[str, Any]] = {
        "expired_admin": {
            "surface": "csp",
            "kind": "organization",
            "user_id": uuid.UUID(MEMBER),
            "role_key": "org_admin",
            "ends_at": NOW - HOUR,
        },
        "service": {
            "surface": "csp",
            "kind": "service",
            "group_id": group,
            "role_key": "custom",
            "role_id": service_user.id,
            "service_definition_id": uuid.UUID(CONSOLE),
            "resource": "console:eu",
            "ends_at": NOW + HOUR,
        },
        "developer": {
            "surface": "ctrlhub",
            "kind": "binding",
            "group_id": group,
            "role_key": "developer",
            "condition": email_is("member@acme.test"),
            "position": 0,
        },
        "release_manager": {
            "surface": "ctrlhub",
            "kind": "binding",
            "group_id": group,
            "role_key": "custom",
            "role_id": release_manager.id,
            "condition": email_is("member@acme.test"),
            "position": 1,
        },
        "billing": {
            "surface": "ctrlhub",
            "kind": "binding",
            "group_id": group,
            "role_key": "billing_read_only",
            "condition": email_is("dev@acme.test"),
            "position": 2,
        },
    }
    ids = {}
    for key, row in rows.items():
        ids[key] = uuid.uuid4()
        session.add(RoleAssignment(id=ids[key], org_id=org, **row))
    await session.commit()
    return ids


async def get(
    client: httpx.AsyncClient, url: str, token: str, **params: str | int
) -> dict[str, Any]:
    response = await client.get(url, headers=csp(token), params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def by_name(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in rows}


def service_roles(body: dict[str, Any]) -> dict[str, list[str]]:
    return {s["serviceDefinitionId"]: s["serviceRoleNames"] for s in body["serviceRoles"]}


def epoch(value: dt.datetime) -> int:
    return int(value.timestamp())


# --- a user ---------------------------------------------------------------------------


async def test_user_roles_are_direct_through_a_group_and_by_matching_bindings(
    client: httpx.AsyncClient, tokens: Tokens, grants: dict[str, uuid.UUID]
) -> None:
    body = await get(client, user_url(), tokens.owner)

    org_roles = by_name(body["organizationRoles"])
    assert list(org_roles) == ["org_member", "developer", "support_user"]
    member = org_roles["org_member"]
    # Held directly and through Engineering: CSP calls that DIRECT, and lists both sources.
    assert member["membershipType"] == "DIRECT" and member["expiresAt"] is None
    assert member["displayName"] == "Organization Member"
    assert [(s["type"], s["label"], s["groupName"]) for s in member["sources"]] == [
        ("DIRECT", "direct", None),
        ("GROUP", "via group Engineering", "Engineering"),
    ]
    support = org_roles["support_user"]
    assert support["membershipType"] == "GROUP"
    assert [s["groupId"] for s in support["sources"]] == [ENGINEERING]

    developer = org_roles["developer"]
    assert developer["membershipType"] == "GROUP"
    [source] = developer["sources"]
    assert source == {
        "type": "BINDING",
        "label": f"binding {grants['developer']} (via group Engineering)",
        "surface": "ctrlhub",
        "assignmentId": str(grants["developer"]),
        "groupId": ENGINEERING,
        "groupName": "Engineering",
        "bindingId": str(grants["developer"]),
        "condition": email_is("member@acme.test"),
        "conditionMatches": True,
        "expiresAt": None,
    }

    custom = by_name(body["customRoles"])
    assert sorted(custom) == ["auditor", "release-manager", "viewer-plus"]
    assert custom["release-manager"]["sources"][0]["bindingId"] == str(grants["release_manager"])

    [service] = body["serviceRoles"]
    assert service["serviceDefinitionId"] == CONSOLE
    assert service["serviceRoleNames"] == ["service:user"]
    [service_role] = service["serviceRoles"]
    assert service_role["expiresAt"] == epoch(NOW + HOUR)
    assert service_role["resource"] == "console:eu"
    assert service_role["membershipType"] == "GROUP"


async def test_a_binding_whose_condition_fails_is_reported_apart_not_as_a_role(
    client: httpx.AsyncClient, tokens: Tokens, grants: dict[str, uuid.UUID]
) -> None:
    body = await get(client, user_url(), tokens.owner)

    assert "billing_read_only" not in by_name(body["organizationRoles"])
    [unmatched] = body["unmatchedBindings"]
    assert unmatched["name"] == "billing_read_only"
    assert unmatched["bindingId"] == str(grants["billing"])
    assert unmatched["conditionMatches"] is False
    assert unmatched["condition"] == email_is("dev@acme.test")

    # For dev@acme.test the same binding holds, and the member's two do not.
    dev = await get(client, user_url(DEV), tokens.owner)
    assert "billing_read_only" in by_name(dev["organizationRoles"])
    assert sorted(b["name"] for b in dev["unmatchedBindings"]) == ["developer", "release-manager"]


@pytest.mark.usefixtures("grants")
async def test_expired_role_shows_only_at_a_moment_before_its_expiry(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    now = await get(client, user_url(), tokens.owner)
    assert "org_admin" not in by_name(now["organizationRoles"])

    earlier = await get(client, user_url(), tokens.owner, at=epoch(NOW - 2 * HOUR))
    assert earlier["at"] == epoch(NOW - 2 * HOUR)
    admin = by_name(earlier["organizationRoles"])["org_admin"]
    assert admin["expiresAt"] == epoch(NOW - HOUR) and admin["membershipType"] == "DIRECT"

    # RFC 3339 works too; two hours on, the service role has expired as well.
    later = (NOW + 2 * HOUR).isoformat().replace("+00:00", "Z")
    body = await get(client, user_url(), tokens.owner, at=later)
    assert body["serviceRoles"] == []
    assert body["at"] == epoch(NOW + 2 * HOUR)


async def test_listed_catalogue_roles_are_exactly_what_authorization_counts(
    client: httpx.AsyncClient, session: AsyncSession, tokens: Tokens, grants: dict[str, uuid.UUID]
) -> None:
    for user in (MEMBER, DEV):
        body = await get(client, user_url(user), tokens.owner)
        held = await held_catalogue_roles(
            session, uuid.UUID(user), uuid.UUID(ORG), dt.datetime.now(dt.UTC)
        )
        assert {r["name"] for r in body["organizationRoles"]} == held


async def test_an_org_admin_may_read_effective_roles(
    client: httpx.AsyncClient, tokens: Tokens, grants: dict[str, uuid.UUID]
) -> None:
    body = await get(client, user_url(), tokens.admin)
    assert "org_member" in by_name(body["organizationRoles"])
    body = await get(client, user_url(), tokens.group_owner)  # org_owner through a group
    assert "org_member" in by_name(body["organizationRoles"])


# --- a group --------------------------------------------------------------------------


async def test_group_roles_list_its_own_grants_with_conditions_left_to_the_member(
    client: httpx.AsyncClient, tokens: Tokens, grants: dict[str, uuid.UUID]
) -> None:
    body = await get(client, group_url(), tokens.owner)

    org_roles = by_name(body["organizationRoles"])
    assert list(org_roles) == ["org_member", "developer", "billing_read_only", "support_user"]
    assert all(r["membershipType"] == "DIRECT" for r in org_roles.values())
    billing = org_roles["billing_read_only"]["sources"][0]
    assert billing["type"] == "BINDING" and billing["conditionMatches"] is None
    assert billing["groupId"] is None
    assert org_roles["org_member"]["sources"][0]["label"] == "direct"
    assert sorted(by_name(body["customRoles"])) == ["auditor", "release-manager", "viewer-plus"]
    assert service_roles(body) == {CONSOLE: ["service:user"]}
    assert body["unmatchedBindings"] == []


@pytest.mark.usefixtures("grants")
async def test_group_roles_after_an_expiry_leave_the_expired_role_out(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    body = await get(client, group_url(), tokens.owner, at=epoch(NOW + 2 * HOUR))
    assert service_roles(body) == {}


# --- refusals ---------------------------------------------------------------------------


@pytest.mark.usefixtures("grants")
@pytest.mark.parametrize("url", [user_url(), group_url()])
async def test_returns_401_without_a_token(client: httpx.AsyncClient, url: str) -> None:
    body = assert_csp_error(await client.get(url), 401)
    assert body["errorCode"] == "UNAUTHORIZED"


@pytest.mark.parametrize("url", [user_url(), group_url()])
async def test_returns_403_for_an_org_member(
    client: httpx.AsyncClient, tokens: Tokens, url: str
) -> None:
    body = assert_csp_error(await client.get(url, headers=csp(tokens.member)), 403)
    assert "Organization Owner or Organization Administrator" in body["message"]


@pytest.mark.usefixtures("grants")
async def test_an_expired_org_admin_role_does_not_let_its_holder_read(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    # The member's org_admin ended an hour ago: listed at an earlier ``at``, never counted now.
    assert_csp_error(await client.get(user_url(), headers=csp(tokens.member)), 403)


async def test_returns_403_for_a_token_of_another_org(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    assert_csp_error(await client.get(user_url(), headers=csp(tokens.other_owner)), 403)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (user_url(OTHER_OWNER), "User with this identifier is not found."),
        (user_url(NOWHERE), "User with this identifier is not found."),
        (user_url("not-a-guid"), "User with this identifier is not found."),
        (group_url(OTHER_GROUP), "Group with this identifier is not found."),
        (group_url(NOWHERE), "Group with this identifier is not found."),
        (user_url(org=NOWHERE), "Organization with this identifier is not found."),
    ],
)
async def test_returns_404_for_a_principal_outside_the_org(
    client: httpx.AsyncClient, tokens: Tokens, url: str, message: str
) -> None:
    body = assert_csp_error(await client.get(url, headers=csp(tokens.owner)), 404)
    assert body["message"] == message


async def test_another_orgs_owner_gets_their_own_user_not_ours(
    client: httpx.AsyncClient, tokens: Tokens
) -> None:
    assert_csp_error(
        await client.get(user_url(MEMBER, OTHER_ORG), headers=csp(tokens.other_owner)), 404
    )


@pytest.mark.parametrize(
    "at", ["yesterday", "2026-01-01T00:00:00", "2026-02-30T00:00:00Z", "-5", "99999999999999"]
)
async def test_returns_400_for_an_unreadable_at(
    client: httpx.AsyncClient, tokens: Tokens, at: str
) -> None:
    response = await client.get(user_url(), headers=csp(tokens.owner), params={"at": at})
    body = assert_csp_error(response, 400)
    assert body["message"].startswith("Invalid request: at: at must be epoch seconds")


async def test_reading_writes_nothing(
    client: httpx.AsyncClient, session: AsyncSession, tokens: Tokens
) -> None:
    async def audit_events() -> int:
        return (await session.execute(select(func.count()).select_from(AuditEvent))).scalar_one()

    before = await audit_events()
    await get(client, user_url(), tokens.owner)
    await get(client, group_url(), tokens.owner)
    assert await audit_events() == before

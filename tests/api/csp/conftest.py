"""A small world for the CSP surface: two orgs, owners direct and through groups, an admin,
a member, custom roles, a service definition, and the helpers to exchange API tokens."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import seed_into

ORG = "00000000-0000-4000-8000-00000000c001"
OTHER_ORG = "00000000-0000-4000-8000-00000000c002"
OWNER = "00000000-0000-4000-8000-00000000c101"
ADMIN = "00000000-0000-4000-8000-00000000c102"
MEMBER = "00000000-0000-4000-8000-00000000c103"
GROUP_OWNER = "00000000-0000-4000-8000-00000000c104"
LAPSED_OWNER = "00000000-0000-4000-8000-00000000c105"
DEV = "00000000-0000-4000-8000-00000000c106"
OTHER_OWNER = "00000000-0000-4000-8000-00000000c199"
ENGINEERING = "00000000-0000-4000-8000-00000000c301"
OWNERS = "00000000-0000-4000-8000-00000000c302"
LAPSED = "00000000-0000-4000-8000-00000000c303"
EMPTY_GROUP = "00000000-0000-4000-8000-00000000c304"
OTHER_GROUP = "00000000-0000-4000-8000-00000000c399"
CONSOLE = "00000000-0000-4000-8000-00000000c501"
PROJECT = "00000000-0000-4000-8000-00000000c401"
OTHER_SERVICE = "00000000-0000-4000-8000-00000000c599"

API_TOKENS = {
    "owner": "csp-owner-api-token",
    "admin": "csp-admin-api-token",
    "member": "csp-member-api-token",
    "group_owner": "csp-group-owner-api-token",
    "lapsed_owner": "csp-lapsed-owner-api-token",
    "other_owner": "csp-other-owner-api-token",
}

AUTHORIZE = "/csp/gateway/am/api/auth/api-tokens/authorize"


def roles_url(org: str = ORG, group: str = ENGINEERING) -> str:
    return f"/csp/gateway/am/api/orgs/{org}/groups/{group}/roles"


def user(uid: str, email: str, key: str, org_roles: list[str] | None = None) -> dict[str, Any]:
    return {
        "id": uid,
        "email": email,
        "org_roles": org_roles or [],
        "csp_api_tokens": [API_TOKENS[key]],
    }


WORLD: dict[str, Any] = {
    "organizations": [
        {
            "id": ORG,
            "name": "Acme",
            "slug": "acme",
            "users": [
                user(OWNER, "owner@acme.test", "owner", ["org_owner"]),
                user(ADMIN, "admin@acme.test", "admin", ["org_admin"]),
                user(MEMBER, "member@acme.test", "member", ["org_member"]),
                user(GROUP_OWNER, "group-owner@acme.test", "group_owner", ["org_member"]),
                user(LAPSED_OWNER, "lapsed@acme.test", "lapsed_owner", ["org_member"]),
                {
                    "id": DEV,
                    "email": "dev@acme.test",
                    "org_roles": ["org_member"],
                    "profile": {"personal": {"first_name": "Dana", "last_name": "Dev"}},
                },
            ],
            "custom_roles": [
                {"name": "auditor", "permissions": [{"subject": "audit-logs", "action": ["read"]}]},
                {"name": "release-manager", "permissions": []},
                {"name": "incident-commander", "permissions": []},
                {"name": "viewer-plus", "permissions": []},
                {"name": "on-call", "permissions": []},
            ],
            "service_definitions": [
                {
                    "id": CONSOLE,
                    "name": "Cloud Console",
                    "roles": [
                        "service:admin",
                        "service:user",
                        "service:viewer",
                        "service:operator",
                        "service:auditor",
                    ],
                }
            ],
            "groups": [
                {
                    "id": ENGINEERING,
                    "name": "Engineering",
                    "slug": "engineering",
                    "description": "Builds things",
                    "members": ["member@acme.test", "dev@acme.test"],
                    "org_roles": ["org_member", "support_user"],
                    "custom_roles": ["auditor", "viewer-plus"],
                },
                {
                    "id": OWNERS,
                    "name": "Owners",
                    "slug": "owners",
                    "members": ["group-owner@acme.test"],
                    "org_roles": ["org_owner"],
                },
                {
                    "id": LAPSED,
                    "name": "Lapsed owners",
                    "slug": "lapsed",
                    "members": ["lapsed@acme.test"],
                    "org_roles": ["org_owner"],
                },
                {"id": EMPTY_GROUP, "name": "Empty", "slug": "empty"},
            ],
            # An Infisical project the Engineering group is in: its rows are not CSP's.
            "projects": [
                {
                    "id": PROJECT,
                    "name": "Backend",
                    "slug": "backend",
                    "groups": [{"group": "engineering", "roles": [{"role": "member"}]}],
                }
            ],
        },
        {
            "id": OTHER_ORG,
            "name": "Other",
            "slug": "other",
            "users": [user(OTHER_OWNER, "owner@other.test", "other_owner", ["org_owner"])],
            "service_definitions": [
                {"id": OTHER_SERVICE, "name": "Their console", "roles": ["service:admin"]}
            ],
            "groups": [{"id": OTHER_GROUP, "name": "Theirs", "slug": "theirs"}],
        },
    ]
}


async def exchange(client: httpx.AsyncClient, api_token: str) -> str:
    response = await client.post(AUTHORIZE, data={"api_token": api_token})
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def csp(token: str) -> dict[str, str]:
    return {"csp-auth-token": token}


@dataclass
class Tokens:
    owner: str
    admin: str
    member: str
    group_owner: str
    lapsed_owner: str
    other_owner: str


@pytest.fixture
async def world(session: AsyncSession) -> None:
    await seed_into(session, WORLD)


@pytest.fixture
async def tokens(world: None, client: httpx.AsyncClient) -> Tokens:
    return Tokens(**{key: await exchange(client, value) for key, value in API_TOKENS.items()})


async def read_roles(
    client: httpx.AsyncClient, token: str, group: str = ENGINEERING, org: str = ORG
) -> dict[str, Any]:
    response = await client.get(roles_url(org, group), headers=csp(token))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def names(body: dict[str, Any]) -> dict[str, Any]:
    """A group roles body reduced to its names, for compact assertions."""
    return {
        "organizationRoles": sorted(r["name"] for r in body["organizationRoles"]),
        "customRoles": sorted(r["name"] for r in body["customRoles"]),
        "serviceRoles": {
            s["serviceDefinitionId"]: sorted(r["name"] for r in s["serviceRoles"])
            for s in body["serviceRoles"]
        },
    }


def assert_csp_error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {
        "statusCode",
        "message",
        "errorCode",
        "cspErrorCode",
        "moduleCode",
        "requestId",
    }
    assert body["statusCode"] == status
    assert body["requestId"] and response.headers["csp-request-id"] == body["requestId"]
    return body

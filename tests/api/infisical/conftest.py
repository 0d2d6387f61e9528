"""A small world for the Infisical surface: two orgs, identities of every project role."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.config import Settings
from tests.conftest import bearer, infisical_token, seed_into

ORG = "00000000-0000-4000-8000-000000000001"
OTHER_ORG = "00000000-0000-4000-8000-000000000002"
ADMIN = "00000000-0000-4000-8000-000000000201"
MEMBER = "00000000-0000-4000-8000-000000000202"
VIEWER = "00000000-0000-4000-8000-000000000203"
LIMITED = "00000000-0000-4000-8000-000000000204"
OUTSIDER = "00000000-0000-4000-8000-000000000299"
ENGINEERING = "00000000-0000-4000-8000-000000000301"
ADMINS = "00000000-0000-4000-8000-000000000302"
LOOSE_GROUP = "00000000-0000-4000-8000-000000000303"
OTHER_GROUP = "00000000-0000-4000-8000-000000000399"
PROJECT = "00000000-0000-4000-8000-000000000401"
OTHER_PROJECT = "00000000-0000-4000-8000-000000000499"

WORLD = {
    "organizations": [
        {
            "id": ORG,
            "name": "Acme",
            "slug": "acme",
            "users": [{"email": "dev@acme.test"}],
            "identities": [
                {
                    "id": ADMIN,
                    "name": "admin-bot",
                    "org_role": "admin",
                    "universal_auth": {
                        "client_id": "admin-client",
                        "client_secret": "admin-secret",
                    },
                },
                {
                    "id": MEMBER,
                    "name": "member-bot",
                    "org_role": "member",
                    "universal_auth": {
                        "client_id": "member-client",
                        "client_secret": "member-secret",
                        "access_token_ttl": 3600,
                    },
                },
                {"id": VIEWER, "name": "viewer-bot"},
                {"id": LIMITED, "name": "limited-bot"},
            ],
            "groups": [
                {
                    "id": ENGINEERING,
                    "name": "Engineering",
                    "slug": "engineering",
                    "members": ["dev@acme.test"],
                },
                {"id": ADMINS, "name": "Admins", "slug": "admins"},
                {"id": LOOSE_GROUP, "name": "Loose", "slug": "loose"},
            ],
            "projects": [
                {
                    "id": PROJECT,
                    "name": "Backend",
                    "slug": "backend",
                    "roles": [
                        {
                            "slug": "secret-reader",
                            "name": "Secret Reader",
                            "permissions": [
                                {
                                    "subject": "secrets",
                                    "action": ["read"],
                                    "conditions": {"environment": "dev"},
                                }
                            ],
                        },
                        {
                            "slug": "group-editor",
                            "name": "Group Editor",
                            "permissions": [
                                {"subject": "groups", "action": ["read", "edit", "create"]},
                                {
                                    "subject": "secrets",
                                    "action": ["read"],
                                    "conditions": {"environment": "dev"},
                                },
                            ],
                        },
                    ],
                    "groups": [
                        {"group": "engineering", "roles": [{"role": "member"}]},
                        {"group": "admins", "roles": [{"role": "admin"}]},
                    ],
                    "identities": [
                        {"identity": "admin-bot", "roles": [{"role": "admin"}]},
                        {"identity": "member-bot", "roles": [{"role": "member"}]},
                        {"identity": "viewer-bot", "roles": [{"role": "viewer"}]},
                        {"identity": "limited-bot", "roles": [{"role": "group-editor"}]},
                    ],
                }
            ],
        },
        {
            "id": OTHER_ORG,
            "name": "Other",
            "slug": "other",
            "identities": [{"id": OUTSIDER, "name": "outsider", "org_role": "admin"}],
            "groups": [{"id": OTHER_GROUP, "name": "Theirs", "slug": "theirs"}],
            "projects": [
                {
                    "id": OTHER_PROJECT,
                    "name": "Theirs",
                    "slug": "theirs",
                    "groups": [{"group": "theirs", "roles": [{"role": "viewer"}]}],
                    "identities": [{"identity": "outsider", "roles": [{"role": "admin"}]}],
                }
            ],
        },
    ]
}


@dataclass
class Tokens:
    admin: str
    member: str
    viewer: str
    limited: str
    outsider: str


@pytest.fixture
async def tokens(session: AsyncSession, settings: Settings) -> Tokens:
    await seed_into(session, WORLD)
    return Tokens(
        admin=await infisical_token(session, settings, ADMIN),
        member=await infisical_token(session, settings, MEMBER),
        viewer=await infisical_token(session, settings, VIEWER),
        limited=await infisical_token(session, settings, LIMITED),
        outsider=await infisical_token(session, settings, OUTSIDER),
    )


async def audit_log_events(
    client: httpx.AsyncClient, token: str, action: str
) -> list[dict[str, Any]]:
    """The org's ``action`` events as ``GET /api/v1/audit-logs`` lists them."""
    response = await client.get("/api/v1/audit-logs", headers=bearer(token))
    assert response.status_code == 200, response.text
    return [event for event in response.json()["auditLogs"] if event["action"] == action]

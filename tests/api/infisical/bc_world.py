"""A small world for endpoints B (identity privileges) and C (project templates).

Kept apart from ``conftest.py``'s world so that the two sets of tests can evolve on their
own; the fixture that loads it lives in each test module (``world``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.config import Settings
from tests.conftest import infisical_token, seed_into

ORG = "00000000-0000-4000-8000-00000000b001"
OTHER_ORG = "00000000-0000-4000-8000-00000000b002"
ADMIN = "00000000-0000-4000-8000-00000000b201"
DEPLOY = "00000000-0000-4000-8000-00000000b202"
GRANTOR = "00000000-0000-4000-8000-00000000b203"
PLAIN = "00000000-0000-4000-8000-00000000b204"
VIEWER = "00000000-0000-4000-8000-00000000b205"
TEMP = "00000000-0000-4000-8000-00000000b206"
LONER = "00000000-0000-4000-8000-00000000b207"
OUTSIDER = "00000000-0000-4000-8000-00000000b299"
PROJECT = "00000000-0000-4000-8000-00000000b401"
SIDE_PROJECT = "00000000-0000-4000-8000-00000000b402"
OTHER_PROJECT = "00000000-0000-4000-8000-00000000b499"
TEMPLATE = "00000000-0000-4000-8000-00000000b501"
SECOND_TEMPLATE = "00000000-0000-4000-8000-00000000b502"
OTHER_TEMPLATE = "00000000-0000-4000-8000-00000000b599"
GROUP = "00000000-0000-4000-8000-00000000b301"

DEV_READ = {
    "subject": "secrets",
    "action": ["read"],
    "conditions": {"environment": "dev", "secretPath": {"$glob": "/"}},
}

WORLD: dict[str, Any] = {
    "organizations": [
        {
            "id": ORG,
            "name": "Acme B",
            "slug": "acme-b",
            "identities": [
                {"id": ADMIN, "name": "ci-admin", "org_role": "admin"},
                {"id": DEPLOY, "name": "deploy-bot", "org_role": "member"},
                {"id": GRANTOR, "name": "limited-bot", "org_role": "member"},
                {"id": PLAIN, "name": "plain-bot"},
                {"id": VIEWER, "name": "viewer-bot", "org_role": "member"},
                {"id": TEMP, "name": "temp-bot"},
                {"id": LONER, "name": "loner-bot"},
            ],
            "groups": [{"id": GROUP, "name": "Platform", "slug": "platform"}],
            "projects": [
                {
                    "id": PROJECT,
                    "name": "Backend",
                    "slug": "backend",
                    "environments": [
                        {"name": "Development", "slug": "dev"},
                        {"name": "Production", "slug": "prod"},
                    ],
                    "roles": [
                        {
                            "slug": "privilege-granter",
                            "name": "Privilege Granter",
                            "permissions": [
                                {"subject": "identity", "action": ["read", "create", "edit"]},
                                {
                                    "subject": "secrets",
                                    "action": ["read"],
                                    "conditions": {"environment": "dev"},
                                },
                            ],
                        }
                    ],
                    "identities": [
                        {"identity": "ci-admin", "roles": [{"role": "admin"}]},
                        {
                            "identity": "deploy-bot",
                            "roles": [{"role": "viewer"}],
                            "privileges": [{"slug": "read-dev-secrets", "permissions": [DEV_READ]}],
                        },
                        {"identity": "limited-bot", "roles": [{"role": "privilege-granter"}]},
                        {
                            "identity": "plain-bot",
                            "roles": [{"role": "no-access"}],
                            "privileges": [
                                {
                                    "slug": "dev-reader",
                                    "permissions": [["read", "secrets", {"environment": "dev"}]],
                                },
                                {"slug": "spare", "permissions": []},
                            ],
                        },
                        {"identity": "viewer-bot", "roles": [{"role": "viewer"}]},
                        {"identity": "temp-bot", "roles": [{"role": "no-access"}]},
                    ],
                },
                {
                    "id": SIDE_PROJECT,
                    "name": "Side",
                    "slug": "side",
                    "identities": [{"identity": "ci-admin", "roles": [{"role": "admin"}]}],
                },
            ],
            "project_templates": [
                {
                    "id": TEMPLATE,
                    "name": "standard",
                    "description": "Standard secret-manager project",
                    "roles": [
                        {
                            "name": "Release Manager",
                            "slug": "release-manager",
                            "permissions": [
                                {
                                    "subject": "secrets",
                                    "action": ["read", "edit"],
                                    "conditions": {"environment": "prod"},
                                }
                            ],
                        }
                    ],
                    "environments": [
                        {"name": "Development", "slug": "dev", "position": 1},
                        {"name": "Production", "slug": "prod", "position": 2},
                    ],
                },
                {"id": SECOND_TEMPLATE, "name": "minimal"},
            ],
        },
        {
            "id": OTHER_ORG,
            "name": "Other B",
            "slug": "other-b",
            "identities": [{"id": OUTSIDER, "name": "outsider", "org_role": "admin"}],
            "projects": [
                {
                    "id": OTHER_PROJECT,
                    "name": "Theirs",
                    "slug": "theirs",
                    "identities": [
                        {
                            "identity": "outsider",
                            "roles": [{"role": "admin"}],
                            "privileges": [{"slug": "theirs", "permissions": [DEV_READ]}],
                        }
                    ],
                }
            ],
            "project_templates": [{"id": OTHER_TEMPLATE, "name": "standard"}],
        },
    ]
}


@dataclass
class Tokens:
    admin: str
    deploy: str
    grantor: str
    plain: str
    viewer: str
    temp: str
    outsider: str


async def load_world(session: AsyncSession, settings: Settings) -> Tokens:
    await seed_into(session, WORLD)
    return Tokens(
        admin=await infisical_token(session, settings, ADMIN),
        deploy=await infisical_token(session, settings, DEPLOY),
        grantor=await infisical_token(session, settings, GRANTOR),
        plain=await infisical_token(session, settings, PLAIN),
        viewer=await infisical_token(session, settings, VIEWER),
        temp=await infisical_token(session, settings, TEMP),
        outsider=await infisical_token(session, settings, OUTSIDER),
    )


def assert_infisical_error(response: httpx.Response, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["statusCode"] == status
    assert body["error"] == error
    assert body["reqId"] and response.headers["x-request-id"] == body["reqId"]
    return body


def issue_paths(body: dict[str, Any]) -> list[list[Any]]:
    return [issue["path"] for issue in body["message"]]

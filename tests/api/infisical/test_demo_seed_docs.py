"""The seed docs' curls for B and C work against the demo seed (`rolegate serve --demo`)."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.cli import demo_seed_path
from rolegate.seed.loader import load_seed, read_seed_file
from tests.conftest import bearer

DEPLOY_BOT = "0b6f3a52-1d1e-4c61-9a63-000000000202"
TEMPLATE = "0b6f3a52-1d1e-4c61-9a63-000000000501"

B_BODY = {
    "privilegeSlug": "read-dev-secrets",
    "identityId": DEPLOY_BOT,
    "projectSlug": "backend",
    "privilegeDetails": {
        "slug": "read-dev-secrets",
        "permissions": [["read", "secrets", {"environment": "dev", "secretPath": {"$glob": "/"}}]],
        "isTemporary": True,
        "temporaryMode": "relative",
        "temporaryRange": "1h",
        "temporaryAccessStartTime": "2023-11-07T05:31:56Z",
    },
}

C_BODY = {
    "name": "standard",
    "description": "Standard secret-manager project",
    "roles": [
        {
            "name": "Release Manager",
            "slug": "release-manager",
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
        {"name": "Development", "slug": "dev", "position": 1},
        {"name": "Production", "slug": "prod", "position": 2},
    ],
}


async def _ci_admin_token(client: httpx.AsyncClient, session: AsyncSession) -> str:
    await load_seed(session, read_seed_file(demo_seed_path()))
    await session.commit()
    login = await client.post(
        "/api/v1/auth/universal-auth/login",
        json={"clientId": "ci-admin-client", "clientSecret": "ci-admin-secret"},
    )
    assert login.status_code == 200, login.text
    token: str = login.json()["accessToken"]
    return token


async def test_seed_doc_privilege_curl_works_against_the_demo(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    token = await _ci_admin_token(client, session)
    response = await client.patch(
        "/api/v1/additional-privilege/identity", json=B_BODY, headers=bearer(token)
    )
    assert response.status_code == 200, response.text
    privilege = response.json()["privilege"]
    assert privilege["temporaryAccessEndTime"] == "2023-11-07T06:31:56.000Z"
    assert privilege["permissions"][0]["conditions"] == {
        "environment": "dev",
        "secretPath": {"$glob": "/"},
    }


async def test_seed_doc_template_curl_works_against_the_demo(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    token = await _ci_admin_token(client, session)
    response = await client.patch(
        f"/api/v1/project-templates/{TEMPLATE}", json=C_BODY, headers=bearer(token)
    )
    assert response.status_code == 200, response.text
    template = response.json()["projectTemplate"]
    assert [r["slug"] for r in template["roles"]][-1] == "release-manager"
    assert template["environments"] == C_BODY["environments"]

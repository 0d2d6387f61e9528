"""U+0000 cannot be stored by PostgreSQL (text or JSONB): on every surface a request
carrying it is a 400 in the surface's envelope (found by the fuzz run as a 500), and it
changes nothing."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.config import Settings
from tests.api.csp import conftest as csp_world
from tests.api.ctrlhub import conftest as ctrlhub_world
from tests.api.infisical.bc_world import DEPLOY, assert_infisical_error, load_world
from tests.conftest import bearer, seed_into

PRIVILEGES = "/api/v1/additional-privilege/identity"


async def test_nul_in_an_infisical_login_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/universal-auth/login",
        json={"clientId": "admin\u0000client", "clientSecret": "x"},
    )
    assert "U+0000" in assert_infisical_error(response, 400, "BadRequest")["message"]


async def test_nul_in_permission_rules_is_400_and_changes_nothing(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    admin = bearer((await load_world(session, settings)).admin)
    read = f"{PRIVILEGES}/read-dev-secrets"
    params = {"identityId": DEPLOY, "projectSlug": "backend"}
    before = (await client.get(read, params=params, headers=admin)).json()

    response = await client.patch(
        PRIVILEGES,
        json={
            "privilegeSlug": "read-dev-secrets",
            "identityId": DEPLOY,
            "projectSlug": "backend",
            "privilegeDetails": {
                "permissions": [
                    {
                        "subject": "secrets",
                        "action": ["read"],
                        "conditions": {"environment": "d\u0000ev"},
                    }
                ]
            },
        },
        headers=admin,
    )

    assert_infisical_error(response, 400, "BadRequest")
    assert (await client.get(read, params=params, headers=admin)).json() == before


async def test_nul_in_a_csp_group_name_is_400_in_the_csp_envelope(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await seed_into(session, csp_world.WORLD)
    owner = csp_world.csp(await csp_world.exchange(client, csp_world.API_TOKENS["owner"]))
    groups = f"/csp/gateway/am/api/orgs/{csp_world.ORG}/groups"
    before = (await client.get(groups, headers=owner)).json()

    response = await client.post(groups, json={"displayName": "Re\u0000lease"}, headers=owner)

    assert csp_world.assert_csp_error(response, 400)["errorCode"] == "BAD_REQUEST"
    assert (await client.get(groups, headers=owner)).json() == before


async def test_nul_in_a_ctrlhub_group_name_is_400_and_changes_nothing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await seed_into(session, ctrlhub_world.WORLD)
    before = await ctrlhub_world.read_group(client)

    response = await client.patch(
        ctrlhub_world.group_url(),
        json=ctrlhub_world.patch_body(name="Engi\u0000neering"),
        headers=ctrlhub_world.headers(),
    )

    ctrlhub_world.assert_error(response, 400)
    assert await ctrlhub_world.read_group(client) == before

"""Safe updates on Infisical endpoints B (identity privileges) and C (project templates)."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.config import Settings
from tests.api.infisical.bc_world import DEPLOY, TEMPLATE, assert_infisical_error, load_world
from tests.conftest import bearer
from tests.reliability.safe_update_contract import Headers, SafeUpdateContract, Surface

PRIVILEGES = "/api/v1/additional-privilege/identity"
TEMPLATE_URL = f"/api/v1/project-templates/{TEMPLATE}"
ERROR_NAMES = {412: "PreconditionFailed", 422: "ValidationFailure"}

RULES = [
    [{"subject": "secrets", "action": [action], "conditions": {"environment": env}}]
    for action in ("read", "edit")
    for env in ("dev", "prod")
]


async def admin(session: AsyncSession, settings: Settings, client: httpx.AsyncClient) -> Headers:
    return bearer((await load_world(session, settings)).admin)


def infisical_envelope(response: httpx.Response, status: int) -> None:
    assert_infisical_error(response, status, ERROR_NAMES[status])


def privilege_shows(document: dict[str, Any], index: int) -> bool:
    shown = [{**rule, "inverted": False} for rule in RULES[index]]
    return bool(document["privilege"]["permissions"] == shown)


def template_shows(document: dict[str, Any], index: int) -> bool:
    return bool(document["projectTemplate"]["description"] == f"version {index}")


class TestIdentityPrivilege(SafeUpdateContract):
    surface = Surface(
        get_url=f"{PRIVILEGES}/read-dev-secrets",
        get_params={"identityId": DEPLOY, "projectSlug": "backend"},
        patch_url=PRIVILEGES,
        bodies=[
            {
                "privilegeSlug": "read-dev-secrets",
                "identityId": DEPLOY,
                "projectSlug": "backend",
                "privilegeDetails": {"permissions": rules},
            }
            for rules in RULES
        ],
        login=admin,
        envelope=infisical_envelope,
        shows=privilege_shows,
    )


class TestProjectTemplate(SafeUpdateContract):
    surface = Surface(
        get_url=TEMPLATE_URL,
        patch_url=TEMPLATE_URL,
        bodies=[{"description": f"version {i}"} for i in range(4)],
        login=admin,
        envelope=infisical_envelope,
        shows=template_shows,
    )

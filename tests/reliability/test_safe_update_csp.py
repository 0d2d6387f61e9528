"""Safe updates on CSP endpoint D. Its PATCH answers 200 with an empty body, so the
representation ETag and If-Match refer to is the group's ``GET .../roles`` document."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.config import Settings
from tests.api.csp.conftest import API_TOKENS, WORLD, assert_csp_error, csp, exchange, roles_url
from tests.conftest import seed_into
from tests.reliability.safe_update_contract import Headers, SafeUpdateContract, Surface

ERROR_CODES = {412: "PRECONDITION_FAILED", 422: "UNPROCESSABLE_ENTITY"}
ADDED = ["release-manager", "incident-commander", "on-call"]
REMOVED = "viewer-plus"  # held by the group in the seed


async def owner(session: AsyncSession, settings: Settings, client: httpx.AsyncClient) -> Headers:
    await seed_into(session, WORLD)
    return csp(await exchange(client, API_TOKENS["owner"]))


def csp_envelope(response: httpx.Response, status: int) -> None:
    assert assert_csp_error(response, status)["errorCode"] == ERROR_CODES[status]


def shows(document: dict[str, Any], index: int) -> bool:
    custom = {role["name"] for role in document["customRoles"]}
    return REMOVED not in custom if index == len(ADDED) else ADDED[index] in custom


class TestGroupRoles(SafeUpdateContract):
    surface = Surface(
        get_url=roles_url(),
        patch_url=roles_url(),
        bodies=[
            *({"customRoles": {"rolesToAdd": [{"name": name}]}} for name in ADDED),
            {"customRoles": {"rolesToRemove": [{"name": REMOVED}]}},
        ],
        login=owner,
        envelope=csp_envelope,
        shows=shows,
        empty_patch_body=True,
    )

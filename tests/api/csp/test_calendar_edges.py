"""Moments at the edge of the calendar are CSP 400s, on every CSP route that takes one."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.csp.conftest import (
    ENGINEERING,
    MEMBER,
    ORG,
    Tokens,
    assert_csp_error,
    csp,
    names,
    read_roles,
    roles_url,
)

BASE = "/csp/gateway/am/api/orgs"
USER = f"{BASE}/{ORG}/users/{MEMBER}/effective-roles"
GROUP = f"{BASE}/{ORG}/groups/{ENGINEERING}/effective-roles"
BEFORE_YEAR_1 = "0001-01-01T00:00:00+14:00"  # 0000-12-31T10:00:00Z
AFTER_YEAR_9999 = "9999-12-31T23:59:59-14:00"  # 10000-01-01T13:59:59Z
PAST_9999_EPOCH = "253402300800"  # 10000-01-01T00:00:00Z


def expiring(expires_at: int) -> dict[str, Any]:
    return {"organizationRoles": {"rolesToAdd": [{"name": "developer", "expiresAt": expires_at}]}}


CASES = {
    "user effective roles at before year 1": ("GET", USER, {"at": BEFORE_YEAR_1}, None),
    "user effective roles at after year 9999": ("GET", USER, {"at": AFTER_YEAR_9999}, None),
    "user effective roles at epoch past 9999": ("GET", USER, {"at": PAST_9999_EPOCH}, None),
    "group effective roles at before year 1": ("GET", GROUP, {"at": BEFORE_YEAR_1}, None),
    "group effective roles at after year 9999": ("GET", GROUP, {"at": AFTER_YEAR_9999}, None),
    "endpoint D expiresAt past 9999": ("PATCH", roles_url(), None, expiring(253402300800)),
    "endpoint D expiresAt before 1970": ("PATCH", roles_url(), None, expiring(-62135596800)),
}


@pytest.mark.parametrize(("method", "url", "params", "body"), CASES.values(), ids=CASES.keys())
async def test_a_moment_outside_the_calendar_is_400_in_the_csp_envelope(
    client: httpx.AsyncClient,
    tokens: Tokens,
    method: str,
    url: str,
    params: dict[str, str] | None,
    body: dict[str, Any] | None,
) -> None:
    before = names(await read_roles(client, tokens.owner))

    response = await client.request(
        method, url, params=params, json=body, headers=csp(tokens.owner)
    )

    error = assert_csp_error(response, 400)
    assert error["errorCode"] == "INVALID_REQUEST"
    assert ("at" if params else "expiresAt") in error["message"]
    assert names(await read_roles(client, tokens.owner)) == before

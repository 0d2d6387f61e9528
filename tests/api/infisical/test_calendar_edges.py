"""Moments at the edge of the calendar are the Infisical 422, on every route that takes one.

``0001-01-01T00:00:00+14:00`` is a valid RFC 3339 time whose UTC value is before year 1;
``9999-12-31T00:00:00Z`` plus ``1y`` ends after year 9999. Python's datetime holds
neither, and both used to escape as 500s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.config import Settings
from tests.api.infisical.bc_world import (
    DEPLOY,
    GROUP,
    PLAIN,
    PROJECT,
    Tokens,
    load_world,
)
from tests.conftest import bearer

BEFORE_YEAR_1 = "0001-01-01T00:00:00+14:00"  # 0000-12-31T10:00:00Z
AFTER_YEAR_9999 = "9999-12-31T23:59:59-14:00"  # 10000-01-01T13:59:59Z
LAST_DAY = "9999-12-31T00:00:00Z"

GROUP_URL = f"/api/v2/workspace/{PROJECT}/groups/{GROUP}"
PRIVILEGES = "/api/v1/additional-privilege/identity"
EXPLAIN = f"/api/v1/projects/{PROJECT}/effective-permissions"
CHECK = f"/api/v1/projects/{PROJECT}/permission-check"
AUDIT = "/api/v1/audit-logs"


def window(start: str, range_: str = "1h") -> dict[str, Any]:
    return {
        "isTemporary": True,
        "temporaryMode": "relative",
        "temporaryRange": range_,
        "temporaryAccessStartTime": start,
    }


@dataclass(frozen=True)
class Case:
    method: str
    url: str
    path: list[str | int]  # where the 422 points
    json: dict[str, Any] | None = None
    params: dict[str, str] | None = None


def group_roles(start: str, range_: str) -> dict[str, Any]:
    # Endpoint A needs a permanent role beside the temporary one.
    return {"roles": [{"role": "viewer"}, {"role": "member", **window(start, range_)}]}


def privilege_patch(start: str, range_: str) -> dict[str, Any]:
    return {
        "privilegeSlug": "read-dev-secrets",
        "identityId": DEPLOY,
        "projectSlug": "backend",
        "privilegeDetails": window(start, range_),
    }


def temporary_privilege(start: str, range_: str) -> dict[str, Any]:
    return {
        "identityId": PLAIN,
        "projectSlug": "backend",
        "slug": "edge-of-time",
        "permissions": [{"subject": "secrets", "action": ["read"]}],
        "temporaryMode": "relative",
        "temporaryRange": range_,
        "temporaryAccessStartTime": start,
    }


def check(at: str) -> dict[str, Any]:
    return {"principal": {"identityId": DEPLOY}, "subject": "secrets", "action": "read", "at": at}


CASES = {
    # endpoint A
    "A start before year 1": Case(
        "PATCH",
        GROUP_URL,
        ["roles", 1, "temporaryAccessStartTime"],
        group_roles(BEFORE_YEAR_1, "1h"),
    ),
    "A window past year 9999": Case(
        "PATCH", GROUP_URL, ["roles", 1, "temporaryRange"], group_roles(LAST_DAY, "1y")
    ),
    # endpoint B
    "B start before year 1": Case(
        "PATCH",
        PRIVILEGES,
        ["privilegeDetails", "temporaryAccessStartTime"],
        privilege_patch(BEFORE_YEAR_1, "1h"),
    ),
    "B window past year 9999": Case(
        "PATCH",
        PRIVILEGES,
        ["privilegeDetails", "temporaryRange"],
        privilege_patch(LAST_DAY, "1y"),
    ),
    # POST …/temporary
    "temporary start before year 1": Case(
        "POST",
        f"{PRIVILEGES}/temporary",
        ["temporaryAccessStartTime"],
        temporary_privilege(BEFORE_YEAR_1, "1h"),
    ),
    "temporary window past year 9999": Case(
        "POST", f"{PRIVILEGES}/temporary", ["temporaryRange"], temporary_privilege(LAST_DAY, "1y")
    ),
    # The driver stores the calendar's first instant as -infinity (rbac/moments.py).
    "B start on the calendar's first instant": Case(
        "PATCH",
        PRIVILEGES,
        ["privilegeDetails", "temporaryAccessStartTime"],
        privilege_patch("0001-01-01T00:00:00Z", "1h"),
    ),
    # at= and since=
    "effective permissions at before year 1": Case(
        "GET", EXPLAIN, ["query", "at"], params={"identityId": DEPLOY, "at": BEFORE_YEAR_1}
    ),
    "effective permissions at after year 9999": Case(
        "GET", EXPLAIN, ["query", "at"], params={"identityId": DEPLOY, "at": AFTER_YEAR_9999}
    ),
    "permission check at before year 1": Case("POST", CHECK, ["at"], check(BEFORE_YEAR_1)),
    "permission check at after year 9999": Case("POST", CHECK, ["at"], check(AFTER_YEAR_9999)),
    "audit logs since before year 1": Case(
        "GET", AUDIT, ["since"], params={"since": BEFORE_YEAR_1}
    ),
    "audit logs since after year 9999": Case(
        "GET", AUDIT, ["since"], params={"since": AFTER_YEAR_9999}
    ),
}


@pytest.fixture
async def world(session: AsyncSession, settings: Settings, client: httpx.AsyncClient) -> Tokens:
    tokens = await load_world(session, settings)
    added = await client.post(GROUP_URL, json={"role": "viewer"}, headers=bearer(tokens.admin))
    assert added.status_code == 200, added.text
    return tokens


async def state(client: httpx.AsyncClient, token: str) -> list[Any]:
    """What the write routes could change: the group's roles and both identities'
    privileges, as a GET shows them."""
    reads = [
        await client.get(GROUP_URL, headers=bearer(token)),
        *[
            await client.get(
                PRIVILEGES,
                params={"identityId": identity, "projectSlug": "backend"},
                headers=bearer(token),
            )
            for identity in (DEPLOY, PLAIN)
        ],
    ]
    assert all(r.status_code == 200 for r in reads), [r.text for r in reads]
    return [r.json() for r in reads]


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
async def test_a_moment_outside_the_calendar_is_422_naming_it_and_changes_nothing(
    client: httpx.AsyncClient, world: Tokens, case: Case
) -> None:
    before = await state(client, world.admin)

    response = await client.request(
        case.method, case.url, json=case.json, params=case.params, headers=bearer(world.admin)
    )

    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "ValidationFailure" and body["statusCode"] == 422
    assert case.path in [issue["path"] for issue in body["message"]], body
    assert await state(client, world.admin) == before


@pytest.mark.parametrize(
    "case",
    [
        Case("PATCH", GROUP_URL, [], group_roles("9999-12-30T00:00:00Z", "1d")),
        Case("PATCH", PRIVILEGES, [], privilege_patch("0001-01-01T00:00:01Z", "1h")),
    ],
    ids=["A ends on the last day", "B starts on the first day"],
)
async def test_windows_just_inside_the_calendar_are_stored(
    client: httpx.AsyncClient, world: Tokens, case: Case
) -> None:
    response = await client.request(
        case.method, case.url, json=case.json, headers=bearer(world.admin)
    )
    assert response.status_code == 200, response.text

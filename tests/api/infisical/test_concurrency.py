"""Concurrent PATCHes on one group lose no update and never mix role sets."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest

from rolegate.config import Settings
from tests.api.infisical.conftest import ADMIN, ENGINEERING, PROJECT, WORLD
from tests.conftest import bearer, infisical_token, seed_into

pytestmark = pytest.mark.committed

URL = f"/api/v2/workspace/{PROJECT}/groups/{ENGINEERING}"


def role_sets() -> list[list[dict[str, Any]]]:
    sets = []
    extras = [[], ["secret-reader"], ["group-editor"], ["secret-reader", "group-editor"]]
    for permanent, extra, temporary in itertools.product(
        ["admin", "member", "viewer", "no-access"], extras, [False, True]
    ):
        roles: list[dict[str, Any]] = [{"role": permanent}] + [{"role": e} for e in extra]
        if temporary:
            roles.append(
                {
                    "role": "viewer" if permanent != "viewer" else "member",
                    "isTemporary": True,
                    "temporaryMode": "relative",
                    "temporaryRange": "1h",
                    "temporaryAccessStartTime": "2030-01-01T00:00:00Z",
                }
            )
        sets.append(roles)
    return sets


def signature(rows: list[dict[str, Any]]) -> list[tuple[str, bool]]:
    return [(r.get("customRoleSlug") or r["role"], bool(r.get("isTemporary"))) for r in rows]


async def test_32_concurrent_patches_leave_exactly_one_submitted_set(
    committed: dict[str, Any], settings: Settings
) -> None:
    async with committed["sessionmaker"]() as session:
        await seed_into(session, WORLD)
        token = await infisical_token(session, settings, ADMIN)
    client = committed["client"]
    sets = role_sets()
    assert len(sets) == 32

    responses = await asyncio.gather(
        *(client.patch(URL, json={"roles": roles}, headers=bearer(token)) for roles in sets)
    )

    assert [r.status_code for r in responses] == [200] * 32, [
        r.text for r in responses if r.status_code != 200
    ]
    submitted = [
        signature([{"role": x["role"], "isTemporary": x.get("isTemporary", False)} for x in s])
        for s in sets
    ]
    for response in responses:  # each response is the set that request wrote, unmixed
        assert signature(response.json()["roles"]) in submitted
    final = (await client.get(URL, headers=bearer(token))).json()["groupMembership"]["roles"]
    assert signature(final) in submitted
    assert len({r["id"] for r in final}) == len(final)

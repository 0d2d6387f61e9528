"""Concurrent writes on privileges (B) and templates (C) serialize: no lost update, no 500."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from rolegate.config import Settings
from tests.api.infisical.bc_world import ADMIN, PLAIN, SECOND_TEMPLATE, TEMPLATE, WORLD
from tests.conftest import bearer, infisical_token, seed_into

pytestmark = pytest.mark.committed

PRIVILEGES = "/api/v1/additional-privilege/identity"
TEMPLATES = "/api/v1/project-templates"


async def _admin(committed: dict[str, Any], settings: Settings) -> str:
    async with committed["sessionmaker"]() as session:
        await seed_into(session, WORLD)
        return await infisical_token(session, settings, ADMIN)


def _privilege_patch(slug: str, details: dict[str, Any]) -> dict[str, Any]:
    return {
        "privilegeSlug": slug,
        "identityId": PLAIN,
        "projectSlug": "backend",
        "privilegeDetails": details,
    }


async def test_concurrent_rule_updates_leave_one_submitted_rule_set(
    committed: dict[str, Any], settings: Settings
) -> None:
    token = await _admin(committed, settings)
    client = committed["client"]
    names = [f"KEY_{i}" for i in range(12)]
    responses = await asyncio.gather(
        *(
            client.patch(
                PRIVILEGES,
                json=_privilege_patch(
                    "dev-reader",
                    {"permissions": [["read", "secrets", {"environment": "dev", "secretName": n}]]},
                ),
                headers=bearer(token),
            )
            for n in names
        )
    )
    assert [r.status_code for r in responses] == [200] * len(names)
    final = await client.get(
        f"{PRIVILEGES}/dev-reader",
        params={"identityId": PLAIN, "projectSlug": "backend"},
        headers=bearer(token),
    )
    rules = final.json()["privilege"]["permissions"]
    assert len(rules) == 1 and rules[0]["conditions"]["secretName"] in names


async def test_two_privileges_renamed_to_one_slug_at_once_give_one_200_and_one_400(
    committed: dict[str, Any], settings: Settings
) -> None:
    token = await _admin(committed, settings)
    client = committed["client"]
    responses = await asyncio.gather(
        *(
            client.patch(
                PRIVILEGES, json=_privilege_patch(slug, {"slug": "taken"}), headers=bearer(token)
            )
            for slug in ("dev-reader", "spare")
        )
    )
    assert sorted(r.status_code for r in responses) == [200, 400], [r.text for r in responses]
    listed = await client.get(
        PRIVILEGES, params={"identityId": PLAIN, "projectSlug": "backend"}, headers=bearer(token)
    )
    slugs = sorted(p["slug"] for p in listed.json()["privileges"])
    assert slugs.count("taken") == 1 and len(slugs) == 2


async def test_two_templates_renamed_to_one_name_at_once_give_one_200_and_one_400(
    committed: dict[str, Any], settings: Settings
) -> None:
    token = await _admin(committed, settings)
    client = committed["client"]
    for round_ in range(3):
        name = f"contested-{round_}"
        responses = await asyncio.gather(
            *(
                client.patch(f"{TEMPLATES}/{tid}", json={"name": name}, headers=bearer(token))
                for tid in (TEMPLATE, SECOND_TEMPLATE)
            )
        )
        assert sorted(r.status_code for r in responses) == [200, 400], [r.text for r in responses]
        loser = next(r for r in responses if r.status_code == 400)
        assert (
            loser.json()["message"] == f'A project template with the name "{name}" already exists.'
        )
        listed = await client.get(TEMPLATES, headers=bearer(token))
        assert [t["name"] for t in listed.json()["projectTemplates"]].count(name) == 1


async def test_concurrent_creates_with_one_name_give_one_template(
    committed: dict[str, Any], settings: Settings
) -> None:
    token = await _admin(committed, settings)
    client = committed["client"]
    responses = await asyncio.gather(
        *(client.post(TEMPLATES, json={"name": "twin"}, headers=bearer(token)) for _ in range(4))
    )
    assert sorted(r.status_code for r in responses) == [200, 400, 400, 400]

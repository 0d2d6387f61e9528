"""Concurrent writes on privileges (B) and templates (C) serialize: no lost update, no 500."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable
from typing import Any

import httpx
import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolegate.config import Settings
from rolegate.rbac.models import AdditionalPrivilege, ProjectMembership, ProjectTemplate
from tests.api.infisical.bc_world import (
    ADMIN,
    GRANTOR,
    PLAIN,
    PROJECT,
    SECOND_TEMPLATE,
    TEMPLATE,
    WORLD,
)
from tests.api.infisical.conftest import audit_log_events
from tests.conftest import bearer, infisical_token, seed_into, until_waiting_on_a_lock

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


# --- a PATCH that had to wait for another writer reads what that writer committed -------

PROD_READ = [{"subject": "secrets", "action": ["read"], "conditions": {"environment": "prod"}}]


async def _after_waiting(
    maker: async_sessionmaker[AsyncSession],
    writer: AsyncSession,
    request: Awaitable[httpx.Response],
) -> httpx.Response:
    """Send ``request`` while ``writer`` holds its row locks, let it queue on them, then
    commit the writer: the request runs on what the writer committed, as the second of
    two concurrent PATCHes does."""
    task = asyncio.ensure_future(request)
    await until_waiting_on_a_lock(maker, task)
    await writer.commit()
    return await task


async def _lock_plain_membership(writer: AsyncSession) -> uuid.UUID:
    """What every writer of plain-bot's privileges in the project does first."""
    membership_id: uuid.UUID = await writer.scalar(
        select(ProjectMembership.id)
        .where(ProjectMembership.project_id == uuid.UUID(PROJECT))
        .where(ProjectMembership.identity_id == uuid.UUID(PLAIN))
        .with_for_update()
    )
    return membership_id


async def test_privilege_patch_queued_behind_a_rule_change_keeps_that_change(
    committed: dict[str, Any], settings: Settings
) -> None:
    token = await _admin(committed, settings)
    client, maker = committed["client"], committed["sessionmaker"]
    window = {
        "isTemporary": True,
        "temporaryMode": "relative",
        "temporaryRange": "1h",
        "temporaryAccessStartTime": "2030-01-01T00:00:00Z",
    }
    async with maker() as writer:
        membership_id = await _lock_plain_membership(writer)
        await writer.execute(
            update(AdditionalPrivilege)
            .where(AdditionalPrivilege.project_membership_id == membership_id)
            .where(AdditionalPrivilege.slug == "dev-reader")
            .values(permissions=PROD_READ, updated_at=func.now())
        )
        response = await _after_waiting(
            maker,
            writer,
            client.patch(
                PRIVILEGES, json=_privilege_patch("dev-reader", window), headers=bearer(token)
            ),
        )

    assert response.status_code == 200, response.text
    prod_read_out = [{**PROD_READ[0], "inverted": False}]
    body = response.json()["privilege"]
    assert body["permissions"] == prod_read_out and body["isTemporary"] is True
    read = await client.get(
        f"{PRIVILEGES}/dev-reader",
        params={"identityId": PLAIN, "projectSlug": "backend"},
        headers=bearer(token),
    )
    assert read.json()["privilege"] == body
    (event,) = await audit_log_events(client, token, "identity-privilege.update")
    assert event["before"]["permissions"] == event["after"]["permissions"] == PROD_READ


async def test_privilege_patch_queued_behind_a_grant_checks_the_boundary_against_it(
    committed: dict[str, Any], settings: Settings
) -> None:
    await _admin(committed, settings)
    async with committed["sessionmaker"]() as session:
        grantor = await infisical_token(session, settings, GRANTOR)
    client, maker = committed["client"], committed["sessionmaker"]
    # limited-bot reads secrets in dev only: it may edit plain-bot's dev privilege, until
    # plain-bot is granted more than that.
    async with maker() as writer:
        membership_id = await _lock_plain_membership(writer)
        await writer.execute(
            insert(AdditionalPrivilege).values(
                id=uuid.uuid4(),
                project_membership_id=membership_id,
                slug="prod-reader",
                permissions=PROD_READ,
            )
        )
        response = await _after_waiting(
            maker,
            writer,
            client.patch(
                PRIVILEGES,
                json=_privilege_patch(
                    "dev-reader", {"permissions": [["read", "secrets", {"environment": "dev"}]]}
                ),
                headers=bearer(grantor),
            ),
        )

    assert response.status_code == 403, response.text
    assert response.json()["error"] == "PermissionBoundaryError"


async def test_template_patch_queued_behind_another_update_keeps_that_update(
    committed: dict[str, Any], settings: Settings
) -> None:
    token = await _admin(committed, settings)
    client, maker = committed["client"], committed["sessionmaker"]
    async with maker() as writer:
        await writer.execute(
            update(ProjectTemplate)
            .where(ProjectTemplate.id == uuid.UUID(TEMPLATE))
            .values(description="by the other writer", updated_at=func.now())
        )
        response = await _after_waiting(
            maker,
            writer,
            client.patch(f"{TEMPLATES}/{TEMPLATE}", json={"roles": []}, headers=bearer(token)),
        )

    assert response.status_code == 200, response.text
    body = response.json()["projectTemplate"]
    assert body["description"] == "by the other writer"
    assert [r["slug"] for r in body["roles"]] == ["admin", "member", "viewer", "no-access"]
    read = await client.get(f"{TEMPLATES}/{TEMPLATE}", headers=bearer(token))
    assert read.json()["projectTemplate"] == body
    (event,) = await audit_log_events(client, token, "project-template.update")
    assert event["before"]["description"] == event["after"]["description"]
    assert event["after"]["description"] == "by the other writer"

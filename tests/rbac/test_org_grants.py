"""Effective org roles and "bindings of group G that apply to user U now" (core, real DB)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac import org_grants
from rolegate.rbac.actors import Actor
from rolegate.rbac.ctrlhub import access as ctrlhub_access
from rolegate.rbac.ctrlhub import group_update as role_group_update
from rolegate.rbac.ctrlhub.views import BindingSpec, GroupPatch
from rolegate.rbac.models import RoleAssignment, User
from tests.api.ctrlhub.conftest import DEV, ENGINEERING, LONER, MEMBER, ORG, OWNER, WORLD
from tests.conftest import seed_into

NOW = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


def when(key: str, value: str, gate: str = "AND") -> dict[str, Any]:
    return {
        "gate": gate,
        "rules": [{"type": "attribute", "operator": "has_value", "key": key, "value": value}],
    }


async def bind(session: AsyncSession, *specs: BindingSpec) -> list[uuid.UUID]:
    actor = Actor(kind="user", id=uuid.UUID(OWNER), org_id=uuid.UUID(ORG), surface="ctrlhub")
    view = await role_group_update.update_group(
        session,
        actor,
        org_id=uuid.UUID(ORG),
        group_id=uuid.UUID(ENGINEERING),
        patch=GroupPatch(bindings=list(specs)),
        now=NOW,
    )
    return [b.id for b in view.bindings]


async def applying(session: AsyncSession, user: str, now: dt.datetime = NOW) -> list[str]:
    rows = await ctrlhub_access.applicable_bindings(
        session, uuid.UUID(ENGINEERING), uuid.UUID(user), now
    )
    return [role.name if role else ra.role_key for ra, role in rows]


async def test_bindings_apply_to_members_whose_attributes_match(session: AsyncSession) -> None:
    await seed_into(session, WORLD)
    await bind(
        session,
        BindingSpec(role="support_user", condition=when("department", "field")),
        BindingSpec(role="auditor", condition=when("skills", "welding")),
        BindingSpec(role="developer"),
        BindingSpec(role="billing_read_only", condition=when("department", "office")),
    )
    assert await applying(session, MEMBER) == ["support_user", "auditor", "developer"]
    assert await applying(session, DEV) == ["developer", "billing_read_only"]
    assert await applying(session, LONER) == []  # not a member: nothing applies


async def test_binding_outside_its_window_does_not_apply(session: AsyncSession) -> None:
    await seed_into(session, WORLD)
    [binding_id] = await bind(session, BindingSpec(role="developer"))
    await session.execute(
        update(RoleAssignment)
        .where(RoleAssignment.id == binding_id)
        .values(starts_at=NOW + dt.timedelta(hours=1), ends_at=NOW + dt.timedelta(hours=2))
    )
    assert await applying(session, MEMBER) == []
    assert await applying(session, MEMBER, NOW + dt.timedelta(minutes=90)) == ["developer"]
    assert await applying(session, MEMBER, NOW + dt.timedelta(hours=2)) == []


async def test_effective_grants_count_every_surface_and_only_matching_bindings(
    session: AsyncSession,
) -> None:
    await seed_into(session, WORLD)
    await bind(session, BindingSpec(role="org_admin", condition=when("department", "field")))
    users = [await session.get(User, uuid.UUID(u)) for u in (MEMBER, DEV)]
    grants = await org_grants.effective_grants(
        session, uuid.UUID(ORG), [u for u in users if u], NOW
    )
    assert [g.name for g in grants[uuid.UUID(MEMBER)]] == [
        "developer",
        "org_admin",
        "org_member",
        "auditor",
    ]
    assert [g.name for g in grants[uuid.UUID(DEV)]] == ["developer", "auditor"]
    member = users[0]
    assert member is not None
    assert await org_grants.is_iam_admin(session, uuid.UUID(ORG), member, NOW)

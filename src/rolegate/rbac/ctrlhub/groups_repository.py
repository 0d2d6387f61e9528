"""SQL for ctrl-hub role groups: groups, their conditional bindings and members.

The org grants that reach users are in :mod:`rolegate.rbac.org_grants_repository`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, insert, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac.models import Group, GroupMember, Role, RoleAssignment, User

# Re-exported: the role-group modules name binding rows by this module's constants.
from rolegate.rbac.org_grants_repository import BINDING as BINDING

SURFACE = "ctrlhub"


async def groups_page(
    session: AsyncSession, org_id: uuid.UUID, *, offset: int, limit: int
) -> tuple[list[Group], int]:
    """One page of the org's groups, by name then id (a total order, so pages neither
    overlap nor skip), and how many it has in all. ``ix_groups_org_id_name_id`` serves
    the order, so a page reads its rows off the index instead of sorting the org."""
    total = (
        await session.execute(select(func.count()).select_from(Group).where(Group.org_id == org_id))
    ).scalar_one()
    stmt = (
        select(Group)
        .where(Group.org_id == org_id)
        .order_by(Group.name, Group.id)
        .offset(offset)
        .limit(limit)
    )
    return list((await session.execute(stmt)).scalars()), int(total)


async def insert_group(
    session: AsyncSession,
    *,
    group_id: uuid.UUID,
    org_id: uuid.UUID,
    name: str,
    slug: str,
    description: str,
    now: dt.datetime,
) -> Group | None:
    """Insert; None when the id or the slug is taken (the caller decides what that means)."""
    stmt = (
        pg_insert(Group)
        .values(
            id=group_id,
            org_id=org_id,
            name=name,
            slug=slug,
            description=description,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing()
        .returning(Group)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def group_id_taken(session: AsyncSession, group_id: uuid.UUID) -> bool:
    stmt = select(literal(True)).where(Group.id == group_id)
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def update_group(
    session: AsyncSession, group_id: uuid.UUID, values: dict[str, Any], now: dt.datetime
) -> Group:
    """Apply ``values`` and return the row as stored (refreshing the session's copy)."""
    stmt = (
        update(Group)
        .where(Group.id == group_id)
        .values(**values, updated_at=now)
        .returning(Group)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one()


async def delete_group(session: AsyncSession, group_id: uuid.UUID) -> None:
    # Memberships, project memberships and every surface's assignments go by ON DELETE CASCADE.
    await session.execute(delete(Group).where(Group.id == group_id))


# --- bindings ------------------------------------------------------------------------


async def bindings_of(
    session: AsyncSession, group_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[tuple[RoleAssignment, Role | None]]]:
    """Each group's ctrl-hub bindings in their submitted order."""
    found: dict[uuid.UUID, list[tuple[RoleAssignment, Role | None]]] = defaultdict(list)
    if not group_ids:
        return found
    stmt = (
        select(RoleAssignment, Role)
        .outerjoin(Role, Role.id == RoleAssignment.role_id)
        .where(
            RoleAssignment.group_id.in_(list(group_ids)),
            RoleAssignment.surface == SURFACE,
            RoleAssignment.kind == BINDING,
        )
        .order_by(RoleAssignment.position, RoleAssignment.created_at)
        .execution_options(populate_existing=True)
    )
    for ra, role in (await session.execute(stmt)).all():
        assert ra.group_id is not None  # noqa: S101 - filtered on it above
        found[ra.group_id].append((ra, role))
    return found


async def replace_bindings(
    session: AsyncSession, group_id: uuid.UUID, rows: list[dict[str, Any]]
) -> None:
    """Only this surface's binding rows: CSP and Infisical rows of the group are untouched."""
    await session.execute(
        delete(RoleAssignment).where(
            RoleAssignment.group_id == group_id,
            RoleAssignment.surface == SURFACE,
            RoleAssignment.kind == BINDING,
        )
    )
    if rows:
        await session.execute(insert(RoleAssignment), rows)


async def org_custom_roles(session: AsyncSession, org_id: uuid.UUID) -> list[Role]:
    stmt = select(Role).where(Role.org_id == org_id, Role.scope == "org").order_by(Role.name)
    return list((await session.execute(stmt)).scalars())


async def org_roles_by_name(
    session: AsyncSession, org_id: uuid.UUID, names: Sequence[str]
) -> dict[str, Role]:
    if not names:
        return {}
    stmt = select(Role).where(
        Role.org_id == org_id, Role.scope == "org", Role.name.in_(list(names))
    )
    return {role.name: role for role in (await session.execute(stmt)).scalars()}


# --- members -------------------------------------------------------------------------


async def members_of(
    session: AsyncSession, group_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[User]]:
    found: dict[uuid.UUID, list[User]] = defaultdict(list)
    if not group_ids:
        return found
    stmt = (
        select(GroupMember.group_id, User)
        .join(User, User.id == GroupMember.user_id)
        .where(GroupMember.group_id.in_(list(group_ids)))
        .order_by(User.email, User.id)
    )
    for group_id, user in (await session.execute(stmt)).all():
        found[group_id].append(user)
    return found


async def users_of_org(
    session: AsyncSession, org_id: uuid.UUID, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, User]:
    if not user_ids:
        return {}
    stmt = select(User).where(User.org_id == org_id, User.id.in_(list(user_ids)))
    return {user.id: user for user in (await session.execute(stmt)).scalars()}


async def org_users_page(
    session: AsyncSession, org_id: uuid.UUID, *, offset: int, limit: int
) -> tuple[list[User], int]:
    """One page of the org's users, by e-mail, and how many it has in all."""
    total = (
        await session.execute(select(func.count()).select_from(User).where(User.org_id == org_id))
    ).scalar_one()
    stmt = (
        select(User)
        .where(User.org_id == org_id)
        .order_by(User.email, User.id)
        .offset(offset)
        .limit(limit)
    )
    return list((await session.execute(stmt)).scalars()), int(total)


async def replace_members(
    session: AsyncSession, group_id: uuid.UUID, user_ids: Sequence[uuid.UUID]
) -> None:
    await session.execute(delete(GroupMember).where(GroupMember.group_id == group_id))
    if user_ids:
        await session.execute(
            insert(GroupMember), [{"group_id": group_id, "user_id": uid} for uid in user_ids]
        )


async def is_member(session: AsyncSession, group_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    stmt = select(literal(True)).where(
        GroupMember.group_id == group_id, GroupMember.user_id == user_id
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None

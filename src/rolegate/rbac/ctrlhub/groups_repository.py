"""SQL for ctrl-hub role groups: groups, their conditional bindings and members.

The org grants that reach users are in :mod:`rolegate.rbac.org_grants_repository`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ARRAY, Table, any_, bindparam, delete, func, insert, literal, select, update
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.db_direct import DirectStatement
from rolegate.rbac.models import Group, GroupMember, Role, RoleAssignment, User

# Re-exported: the role-group modules name binding rows by this module's constants.
from rolegate.rbac.org_grants_repository import BINDING as BINDING
from rolegate.rbac.org_grants_repository import UserRow

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


@dataclass(frozen=True, slots=True)
class BindingRow:
    """What a group's document shows of a binding (a plain row, not an ORM object)."""

    id: uuid.UUID
    role_key: str
    role_name: str | None  # the custom role's name when role_key == "custom"
    condition: dict[str, Any] | None


_ra = cast(Table, RoleAssignment.__table__)
_roles = cast(Table, Role.__table__)
_users = cast(Table, User.__table__)
_members = cast(Table, GroupMember.__table__)
_GROUP_IDS = bindparam("group_ids", type_=ARRAY(PG_UUID))

# The group reads' statements, built once with the groups as ``= ANY(:group_ids)`` and
# sent on asyncpg directly: a GET of a group and a page of the list run both.
_BINDING_ROWS = DirectStatement(
    select(
        _ra.c.group_id,
        _ra.c.id,
        _ra.c.role_key,
        _roles.c.name.label("role_name"),
        _ra.c.condition,
    )
    .select_from(_ra)
    .outerjoin(_roles, _roles.c.id == _ra.c.role_id)
    .where(
        _ra.c.group_id == any_(_GROUP_IDS),
        _ra.c.surface == SURFACE,
        _ra.c.kind == BINDING,
    )
    .order_by(_ra.c.position, _ra.c.created_at)
)
_MEMBER_ROWS = DirectStatement(
    select(
        _members.c.group_id,
        _users.c.id,
        _users.c.org_id,
        _users.c.email,
        _users.c.profile,
        _users.c.attributes,
    )
    .select_from(_members)
    .join(_users, _users.c.id == _members.c.user_id)
    .where(_members.c.group_id == any_(_GROUP_IDS))
    .order_by(_users.c.email, _users.c.id)
)


@dataclass(frozen=True, slots=True)
class GroupRow:
    """What a group's document shows of the group itself."""

    id: uuid.UUID
    org_id: uuid.UUID
    name: str
    description: str


_groups = cast(Table, Group.__table__)
_group_bindings = (
    select(
        _ra.c.group_id,
        _ra.c.id.label("binding_id"),
        _ra.c.role_key,
        _roles.c.name.label("role_name"),
        _ra.c.condition,
        _ra.c.position,
        _ra.c.created_at,
    )
    .select_from(_ra)
    .outerjoin(_roles, _roles.c.id == _ra.c.role_id)
    .where(_ra.c.surface == SURFACE, _ra.c.kind == BINDING)
    .subquery("bindings")
)
# One group of the org with its bindings (one row each, or one with NULL binding
# columns): what a GET of a group reads before its members.
_GROUP_WITH_BINDINGS = DirectStatement(
    select(
        _groups.c.id,
        _groups.c.org_id,
        _groups.c.name,
        _groups.c.description,
        _group_bindings.c.binding_id,
        _group_bindings.c.role_key,
        _group_bindings.c.role_name,
        _group_bindings.c.condition,
    )
    .select_from(_groups)
    .outerjoin(_group_bindings, _group_bindings.c.group_id == _groups.c.id)
    .where(_groups.c.id == bindparam("group_id"), _groups.c.org_id == bindparam("org_id"))
    .order_by(_group_bindings.c.position, _group_bindings.c.created_at)
)


async def group_with_bindings(
    session: AsyncSession, group_id: uuid.UUID, org_id: uuid.UUID
) -> tuple[GroupRow, list[BindingRow]] | None:
    """The org's group and its bindings in their submitted order; None when the org has
    no such group."""
    rows = await _GROUP_WITH_BINDINGS.fetch(session, {"group_id": group_id, "org_id": org_id})
    if not rows:
        return None
    first = rows[0]
    group = GroupRow(first["id"], first["org_id"], first["name"], first["description"])
    bindings = [
        BindingRow(row["binding_id"], row["role_key"], row["role_name"], row["condition"])
        for row in rows
        if row["binding_id"] is not None
    ]
    return group, bindings


async def binding_rows_of(
    session: AsyncSession, group_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[BindingRow]]:
    """:func:`bindings_of` as plain rows, for the documents: in their submitted order."""
    found: dict[uuid.UUID, list[BindingRow]] = defaultdict(list)
    if not group_ids:
        return found
    for row in await _BINDING_ROWS.fetch(session, {"group_ids": list(group_ids)}):
        found[row["group_id"]].append(
            BindingRow(row["id"], row["role_key"], row["role_name"], row["condition"])
        )
    return found


async def member_rows_of(
    session: AsyncSession, group_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[UserRow]]:
    """Each group's members (by email, then id) as plain rows."""
    found: dict[uuid.UUID, list[UserRow]] = defaultdict(list)
    if not group_ids:
        return found
    for row in await _MEMBER_ROWS.fetch(session, {"group_ids": list(group_ids)}):
        found[row["group_id"]].append(
            UserRow(row["id"], row["org_id"], row["email"], row["profile"], row["attributes"])
        )
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

"""SQL for CSP groups and their organization, custom and service roles.

Only ``role_assignments`` rows with ``surface = 'csp'`` held by a group are read or
written here: Infisical and ctrl-hub rows of the same group are never touched.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac.models import (
    CspApiToken,
    Group,
    GroupMember,
    Role,
    RoleAssignment,
    ServiceDefinition,
    User,
)
from rolegate.rbac.repository import active_at

SURFACE = "csp"
CSP_KINDS = ("organization", "custom", "service")


@dataclass(frozen=True, slots=True)
class GroupRow:
    group: Group
    users_count: int


async def lock_group(session: AsyncSession, group_id: uuid.UUID, org_id: uuid.UUID) -> Group | None:
    """The group row, locked until the transaction ends: concurrent PATCHes serialize here."""
    stmt = (
        select(Group)
        .where(Group.id == group_id, Group.org_id == org_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_group_row(
    session: AsyncSession, group_id: uuid.UUID, org_id: uuid.UUID
) -> GroupRow | None:
    count = (
        select(func.count())
        .select_from(GroupMember)
        .where(GroupMember.group_id == Group.id)
        .scalar_subquery()
    )
    stmt = select(Group, count).where(Group.id == group_id, Group.org_id == org_id)
    row = (await session.execute(stmt)).one_or_none()
    return GroupRow(group=row[0], users_count=row[1]) if row else None


async def list_groups(
    session: AsyncSession, org_id: uuid.UUID, *, offset: int, limit: int
) -> tuple[list[GroupRow], int]:
    total = (
        await session.execute(select(func.count()).select_from(Group).where(Group.org_id == org_id))
    ).scalar_one()
    count = (
        select(func.count())
        .select_from(GroupMember)
        .where(GroupMember.group_id == Group.id)
        .scalar_subquery()
    )
    stmt = (
        select(Group, count)
        .where(Group.org_id == org_id)
        .order_by(Group.name, Group.id)
        .offset(offset)
        .limit(limit)
    )
    rows = [GroupRow(group=g, users_count=c) for g, c in (await session.execute(stmt)).all()]
    return rows, int(total)


async def group_name_taken(session: AsyncSession, org_id: uuid.UUID, name: str) -> bool:
    stmt = select(Group.id).where(Group.org_id == org_id, func.lower(Group.name) == name.lower())
    return (await session.execute(stmt)).first() is not None


async def insert_group(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    name: str,
    slug: str,
    description: str,
    now: dt.datetime,
) -> Group | None:
    """Insert the group; None when the slug is taken in the org (the caller picks another)."""
    stmt = (
        pg_insert(Group)
        .values(
            id=uuid.uuid4(),
            org_id=org_id,
            name=name,
            slug=slug,
            description=description,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["org_id", "slug"])
        .returning(Group)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def touch_group(session: AsyncSession, group_id: uuid.UUID, now: dt.datetime) -> None:
    await session.execute(update(Group).where(Group.id == group_id).values(updated_at=now))


# --- role catalogue lookups -----------------------------------------------------------


async def custom_roles_by_name(
    session: AsyncSession, org_id: uuid.UUID, names: Iterable[str]
) -> dict[str, Role]:
    wanted = sorted(set(names))
    if not wanted:
        return {}
    stmt = select(Role).where(Role.org_id == org_id, Role.scope == "org", Role.name.in_(wanted))
    return {role.name: role for role in (await session.execute(stmt)).scalars()}


async def service_definitions(
    session: AsyncSession, org_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, ServiceDefinition]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    stmt = select(ServiceDefinition).where(
        ServiceDefinition.org_id == org_id, ServiceDefinition.id.in_(wanted)
    )
    return {sd.id: sd for sd in (await session.execute(stmt)).scalars()}


async def service_roles(
    session: AsyncSession, service_ids: Iterable[uuid.UUID]
) -> dict[tuple[uuid.UUID, str], Role]:
    wanted = sorted(set(service_ids))
    if not wanted:
        return {}
    stmt = select(Role).where(Role.scope == "service", Role.service_definition_id.in_(wanted))
    return {
        (role.service_definition_id, role.name): role
        for role in (await session.execute(stmt)).scalars()
        if role.service_definition_id is not None
    }


# --- a group's CSP role assignments ---------------------------------------------------


async def group_assignments(
    session: AsyncSession, group_id: uuid.UUID, *, active_now: dt.datetime | None = None
) -> list[tuple[RoleAssignment, Role | None]]:
    """The group's CSP rows (all of them, or only those active at ``active_now``)."""
    stmt = (
        select(RoleAssignment, Role)
        .outerjoin(Role, Role.id == RoleAssignment.role_id)
        .where(
            RoleAssignment.group_id == group_id,
            RoleAssignment.surface == SURFACE,
            RoleAssignment.kind.in_(CSP_KINDS),
        )
        .order_by(RoleAssignment.kind, RoleAssignment.created_at, RoleAssignment.id)
        .execution_options(populate_existing=True)
    )
    if active_now is not None:
        stmt = stmt.where(active_at(RoleAssignment.starts_at, RoleAssignment.ends_at, active_now))
    return [(ra, role) for ra, role in (await session.execute(stmt)).all()]


async def insert_assignments(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(RoleAssignment), list(rows))


async def update_assignment(
    session: AsyncSession, assignment_id: uuid.UUID, values: dict[str, Any]
) -> None:
    await session.execute(
        update(RoleAssignment).where(RoleAssignment.id == assignment_id).values(**values)
    )


async def delete_assignments(session: AsyncSession, ids: Sequence[uuid.UUID]) -> None:
    if ids:
        await session.execute(delete(RoleAssignment).where(RoleAssignment.id.in_(list(ids))))


# --- users and their authority ---------------------------------------------------------


async def user_for_api_token(session: AsyncSession, digest: bytes, now: dt.datetime) -> User | None:
    stmt = (
        select(User)
        .join(CspApiToken, CspApiToken.user_id == User.id)
        .where(
            CspApiToken.token_hash == digest,
            (CspApiToken.expires_at.is_(None)) | (CspApiToken.expires_at > now),
        )
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def users_by_email(session: AsyncSession, email: str) -> list[User]:
    stmt = select(User).where(func.lower(User.email) == email.lower()).order_by(User.org_id)
    return list((await session.execute(stmt)).scalars())


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def user_service_roles(
    session: AsyncSession, user_id: uuid.UUID, org_id: uuid.UUID, now: dt.datetime
) -> list[tuple[uuid.UUID, str]]:
    """(service definition, role name) pairs a user holds now, directly or via a group."""
    ra = RoleAssignment
    groups_of_user = select(GroupMember.group_id).where(GroupMember.user_id == user_id)
    stmt = (
        select(Role.service_definition_id, Role.name)
        .join(ra, ra.role_id == Role.id)
        .where(
            ra.org_id == org_id,
            ra.kind == "service",
            Role.scope == "service",
            (ra.user_id == user_id) | ra.group_id.in_(groups_of_user),
            active_at(ra.starts_at, ra.ends_at, now),
        )
        .distinct()
    )
    return [(sd, name) for sd, name in (await session.execute(stmt)).all() if sd is not None]


async def member_count(session: AsyncSession, group_id: uuid.UUID) -> int:
    stmt = select(func.count()).select_from(GroupMember).where(GroupMember.group_id == group_id)
    return int((await session.execute(stmt)).scalar_one())

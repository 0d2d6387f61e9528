"""SQL for CSP groups, API tokens and users.

A group's CSP role rows are read and written by ``csp_role_rows_repository`` (endpoint
D's statements, which the GET of a group's roles shares).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac.csp.views import GroupRow
from rolegate.rbac.models import (
    CspApiToken,
    Group,
    GroupMember,
    Role,
    RoleAssignment,
    User,
)
from rolegate.rbac.windows import open_at_sql


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
    """Whether a group of the org (of any surface) has ``name``, case-folded as the
    unique index folds it (the database's ``lower``)."""
    stmt = select(Group.id).where(
        Group.org_id == org_id, func.lower(Group.name) == func.lower(name)
    )
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
    """Insert the group, claiming its name in the org; None when the slug or the name is
    taken (the caller tells which apart).

    A conflict with a create still in flight waits for it to end, so a None comes from
    a committed group, which the caller's next statement sees.
    """
    stmt = (
        pg_insert(Group)
        .values(
            id=uuid.uuid4(),
            org_id=org_id,
            name=name,
            slug=slug,
            description=description,
            unique_name=True,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing()
        .returning(Group)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


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
            open_at_sql(ra.starts_at, ra.ends_at, now),
        )
        .distinct()
    )
    return [(sd, name) for sd, name in (await session.execute(stmt)).all() if sd is not None]

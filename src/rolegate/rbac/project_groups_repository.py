"""SQL for groups in projects."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Insert, and_, delete, false, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from rolegate.rbac.models import Group, ProjectMembership, Role, RoleAssignment


@dataclass(frozen=True, slots=True)
class GroupMembershipView:
    """A group's membership in a project with its Infisical role rows, in order."""

    membership: ProjectMembership
    group: Group
    roles: list[tuple[RoleAssignment, Role | None]]


async def lock_group_membership(
    session: AsyncSession, project_id: uuid.UUID, group_id: uuid.UUID, org_id: uuid.UUID
) -> tuple[ProjectMembership, Group] | None:
    """The group's membership in the project, row-locked until the transaction ends."""
    stmt = (
        select(ProjectMembership, Group)
        .join(Group, Group.id == ProjectMembership.group_id)
        .where(
            ProjectMembership.project_id == project_id,
            ProjectMembership.group_id == group_id,
            Group.org_id == org_id,
        )
        .with_for_update(of=ProjectMembership)
    )
    row = (await session.execute(stmt)).one_or_none()
    return (row[0], row[1]) if row else None


@dataclass(frozen=True, slots=True)
class LockedMembership:
    membership: ProjectMembership
    group: Group
    custom_roles: dict[str, Role]  # the project's custom roles among the slugs asked for


async def lock_membership_and_roles(
    session: AsyncSession,
    project_id: uuid.UUID,
    group_id: uuid.UUID,
    org_id: uuid.UUID,
    role_slugs: Sequence[str],
) -> LockedMembership | None:
    """:func:`lock_group_membership`, also resolving custom role slugs, in one statement.

    Roles are not locked (``FOR UPDATE OF`` the membership only): like the separate lookup
    this replaces, a role is read as of the statement.
    """
    role_match = and_(
        Role.scope == "project",
        Role.project_id == project_id,
        Role.slug.in_(list(role_slugs)) if role_slugs else false(),
    )
    stmt = (
        select(ProjectMembership, Group, Role)
        .join(Group, Group.id == ProjectMembership.group_id)
        .outerjoin(Role, role_match)
        .where(
            ProjectMembership.project_id == project_id,
            ProjectMembership.group_id == group_id,
            Group.org_id == org_id,
        )
        .with_for_update(of=ProjectMembership)
    )
    rows = (await session.execute(stmt)).all()
    if not rows:
        return None
    custom = {role.slug: role for _, _, role in rows if role is not None}
    return LockedMembership(membership=rows[0][0], group=rows[0][1], custom_roles=custom)


async def delete_group_roles(
    session: AsyncSession, membership_id: uuid.UUID
) -> list[tuple[RoleAssignment, Role | None]]:
    """Delete the membership's Infisical role rows; return them (with their roles), in order.

    One statement (``DELETE … RETURNING`` in a CTE joined to ``roles``) instead of a
    select of the current rows followed by a delete. Runs after the membership lock, so it
    sees every committed change to the rows.
    """
    old = (
        delete(RoleAssignment)
        .where(
            RoleAssignment.project_membership_id == membership_id,
            RoleAssignment.surface == "infisical",
        )
        .returning(*RoleAssignment.__table__.c)
        .cte("old")
    )
    held = aliased(RoleAssignment, old)
    stmt = (
        select(held, Role)
        .outerjoin(Role, Role.id == held.role_id)
        .order_by(held.position, held.created_at)
    )
    return [(ra, role) for ra, role in (await session.execute(stmt)).all()]


async def insert_group_roles(
    session: AsyncSession,
    membership_id: uuid.UUID,
    rows: list[dict[str, Any]],
    now: dt.datetime,
    audit: Insert,
) -> list[RoleAssignment]:
    """Insert the new role rows, touch the membership and write the audit event at once.

    One statement: the insert returns the rows as stored (no re-select), and the
    membership update and the audit insert ride along as data-modifying CTEs.
    """
    new = insert(RoleAssignment).values(rows).returning(*RoleAssignment.__table__.c).cte("new")
    touch = (
        update(ProjectMembership)
        .where(ProjectMembership.id == membership_id)
        .values(updated_at=now)
        .cte("touch")
    )
    stored = aliased(RoleAssignment, new)
    stmt = select(stored).add_cte(touch, audit.cte("audit")).order_by(stored.position)
    return list((await session.execute(stmt)).scalars())


async def group_roles(
    session: AsyncSession, membership_id: uuid.UUID
) -> list[tuple[RoleAssignment, Role | None]]:
    stmt = (
        select(RoleAssignment, Role)
        .outerjoin(Role, Role.id == RoleAssignment.role_id)
        .where(
            RoleAssignment.project_membership_id == membership_id,
            RoleAssignment.surface == "infisical",
        )
        .order_by(RoleAssignment.position, RoleAssignment.created_at)
        .execution_options(populate_existing=True)
    )
    return [(ra, role) for ra, role in (await session.execute(stmt)).all()]


async def replace_group_roles(
    session: AsyncSession, membership_id: uuid.UUID, rows: list[dict[str, Any]]
) -> None:
    await session.execute(
        delete(RoleAssignment).where(
            RoleAssignment.project_membership_id == membership_id,
            RoleAssignment.surface == "infisical",
        )
    )
    if rows:
        await session.execute(insert(RoleAssignment), rows)


async def touch_membership(
    session: AsyncSession, membership_id: uuid.UUID, now: dt.datetime
) -> None:
    await session.execute(
        update(ProjectMembership)
        .where(ProjectMembership.id == membership_id)
        .values(updated_at=now)
    )


async def insert_group_membership(
    session: AsyncSession, project_id: uuid.UUID, group_id: uuid.UUID, now: dt.datetime
) -> ProjectMembership | None:
    """Insert the membership; None when the group is already in the project."""
    stmt = (
        pg_insert(ProjectMembership)
        .values(
            id=uuid.uuid4(),
            project_id=project_id,
            group_id=group_id,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing()
        .returning(ProjectMembership)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def delete_membership(session: AsyncSession, membership_id: uuid.UUID) -> None:
    await session.execute(delete(ProjectMembership).where(ProjectMembership.id == membership_id))


async def group_memberships(
    session: AsyncSession,
    project_id: uuid.UUID,
    org_id: uuid.UUID,
    group_id: uuid.UUID | None = None,
) -> list[GroupMembershipView]:
    stmt = (
        select(ProjectMembership, Group)
        .join(Group, Group.id == ProjectMembership.group_id)
        .where(ProjectMembership.project_id == project_id, Group.org_id == org_id)
        .order_by(Group.name)
    )
    if group_id is not None:
        stmt = stmt.where(ProjectMembership.group_id == group_id)
    pairs = (await session.execute(stmt)).all()
    if not pairs:
        return []
    roles_stmt = (
        select(RoleAssignment, Role)
        .outerjoin(Role, Role.id == RoleAssignment.role_id)
        .where(
            RoleAssignment.project_membership_id.in_([m.id for m, _ in pairs]),
            RoleAssignment.surface == "infisical",
        )
        .order_by(RoleAssignment.position, RoleAssignment.created_at)
    )
    by_membership: dict[uuid.UUID, list[tuple[RoleAssignment, Role | None]]] = defaultdict(list)
    for ra, role in (await session.execute(roles_stmt)).all():
        assert ra.project_membership_id is not None  # noqa: S101 - filtered on it above
        by_membership[ra.project_membership_id].append((ra, role))
    return [GroupMembershipView(membership=m, group=g, roles=by_membership[m.id]) for m, g in pairs]

"""SQL for groups in projects."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, cast

from sqlalchemy import (
    ARRAY,
    Boolean,
    DateTime,
    FromClause,
    Integer,
    String,
    Table,
    and_,
    any_,
    bindparam,
    delete,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.db_direct import DirectStatement
from rolegate.rbac import repository
from rolegate.rbac.infisical.views import GroupMembershipView
from rolegate.rbac.models import Group, ProjectMembership, Role, RoleAssignment

# Endpoint A's statements come back as plain rows, not ORM objects: building and
# tracking ORM instances was a measurable share of a PATCH (bench/README.md).


@dataclass(frozen=True, slots=True)
class MembershipRow:
    id: uuid.UUID
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class GroupRow:
    id: uuid.UUID
    name: str
    slug: str


@dataclass(frozen=True, slots=True)
class RoleRow:
    id: uuid.UUID
    slug: str
    permissions: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class AssignmentRow:
    id: uuid.UUID
    role_key: str
    role_id: uuid.UUID | None
    project_membership_id: uuid.UUID | None
    is_temporary: bool
    temporary_mode: str | None
    temporary_range: str | None
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


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
    membership: MembershipRow
    group: GroupRow
    custom_roles: dict[str, RoleRow]  # the project's custom roles among the slugs asked for


_pm = cast(Table, ProjectMembership.__table__)
_groups = cast(Table, Group.__table__)
_roles = cast(Table, Role.__table__)

# The membership and its group, as both one-statement reads below select them; the rows
# are read back by :func:`_membership_and_group`.
_MEMBERSHIP_AND_GROUP = (
    _pm.c.id,
    _pm.c.created_at,
    _pm.c.updated_at,
    _groups.c.id.label("group_id"),
    _groups.c.name.label("group_name"),
    _groups.c.slug.label("group_slug"),
)
# One group's membership in one project, the group in the caller's org.
_ONE_MEMBERSHIP_IN_ORG = (
    _pm.c.project_id == bindparam("project_id"),
    _pm.c.group_id == bindparam("group_id"),
    _groups.c.org_id == bindparam("org_id"),
)


def _membership_and_group(row: Mapping[str, Any]) -> tuple[MembershipRow, GroupRow]:
    return (
        MembershipRow(row["id"], row["created_at"], row["updated_at"]),
        GroupRow(row["group_id"], row["group_name"], row["group_slug"]),
    )


# Both reads start from the membership joined to its group.
_MEMBERSHIP_WITH_GROUP = _pm.join(_groups, _groups.c.id == _pm.c.group_id)


def _custom_role_columns(roles: FromClause) -> tuple[Any, ...]:
    """A custom role (``roles`` or an alias of it) as both reads select it, read back by
    :func:`_custom_role`."""
    return (
        roles.c.id.label("role_id"),
        roles.c.slug.label("role_slug"),
        roles.c.permissions.label("role_permissions"),
    )


def _custom_role(row: Mapping[str, Any]) -> RoleRow | None:
    """The row's custom role, or None where its outer join found none."""
    if row["role_id"] is None:
        return None
    return RoleRow(row["role_id"], row["role_slug"], row["role_permissions"])


# Built once with named parameters; ``= ANY(:role_slugs)`` takes any number of slugs in
# one statement text, and none (an empty array) matches no role.
_LOCK_MEMBERSHIP_AND_ROLES = DirectStatement(
    select(*_MEMBERSHIP_AND_GROUP, *_custom_role_columns(_roles))
    .select_from(_MEMBERSHIP_WITH_GROUP)
    .outerjoin(
        _roles,
        and_(
            _roles.c.scope == "project",
            _roles.c.project_id == bindparam("project_id"),
            _roles.c.slug == any_(bindparam("role_slugs", type_=ARRAY(String))),
        ),
    )
    .where(*_ONE_MEMBERSHIP_IN_ORG)
    .with_for_update(of=_pm)
)


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
    params = {
        "project_id": project_id,
        "group_id": group_id,
        "org_id": org_id,
        "role_slugs": list(role_slugs),
    }
    rows = await _LOCK_MEMBERSHIP_AND_ROLES.fetch(session, params)
    if not rows:
        return None
    membership, group = _membership_and_group(rows[0])
    return LockedMembership(
        membership=membership,
        group=group,
        custom_roles={
            role.slug: role for role in (_custom_role(row) for row in rows) if role is not None
        },
    )


@dataclass(frozen=True, slots=True)
class HeldRole:
    """A role row as it was before a replace (what the boundary check and audit need)."""

    role_key: str
    role_slug: str | None  # the custom role's slug; None for a built-in
    permissions: list[dict[str, Any]] | None  # the custom role's rules
    is_temporary: bool
    temporary_range: str | None
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None


# The hot path's two writes are built once, with named parameters: constructing and
# cache-keying ORM statements per request cost more Python than the round trips saved.
_ra = cast(Table, RoleAssignment.__table__)

_old = (
    delete(_ra)
    .where(
        _ra.c.project_membership_id == bindparam("membership_id"),
        _ra.c.surface == "infisical",
    )
    .returning(*_ra.c)
    .cte("old")
)
_DELETE_HELD = DirectStatement(
    select(
        _old.c.role_key,
        _roles.c.slug.label("role_slug"),
        _roles.c.permissions,
        _old.c.is_temporary,
        _old.c.temporary_range,
        _old.c.starts_at,
        _old.c.ends_at,
    )
    .select_from(_old.outerjoin(_roles, _roles.c.id == _old.c.role_id))
    .order_by(_old.c.position, _old.c.created_at)
)

# One row per requested role, passed as parallel arrays: the statement text is the same
# for any number of roles (one prepared statement), and ids come from gen_random_uuid().
_ARRAYS: dict[str, Any] = {
    "role_key": String,
    "role_id": UUID(as_uuid=True),
    "is_temporary": Boolean,
    "temporary_mode": String,
    "temporary_range": String,
    "starts_at": DateTime(timezone=True),
    "ends_at": DateTime(timezone=True),
    "position": Integer,
}
_requested = (
    func.unnest(*(bindparam(f"{name}s", type_=ARRAY(type_)) for name, type_ in _ARRAYS.items()))
    .table_valued(*_ARRAYS)
    .render_derived(name="requested")
)
_new = (
    insert(_ra)
    .from_select(
        [
            "id",
            "org_id",
            "surface",
            "kind",
            "project_membership_id",
            *_ARRAYS,
            "created_by",
            "updated_by",
            "created_at",
            "updated_at",
        ],
        select(
            func.gen_random_uuid(),
            bindparam("org_id", type_=UUID(as_uuid=True)),
            literal("infisical"),
            literal("project"),
            bindparam("membership_id", type_=UUID(as_uuid=True)),
            *(_requested.c[name] for name in _ARRAYS),
            bindparam("actor", type_=String),
            bindparam("actor", type_=String),
            bindparam("now", type_=DateTime(timezone=True)),
            bindparam("now", type_=DateTime(timezone=True)),
        ).select_from(_requested),
    )
    .returning(*_ra.c)
    .cte("new")
)
# What the response needs of each inserted row, in AssignmentRow's field order.
_RETURNED = tuple(field.name for field in fields(AssignmentRow))
_touch = (
    update(_pm)
    .where(_pm.c.id == bindparam("membership_id"))
    .values(updated_at=bindparam("now"))
    .cte("touch")
)
_INSERT_NEW = DirectStatement(
    select(*(_new.c[name] for name in _RETURNED))
    .add_cte(_touch, repository.AUDIT_INSERT.cte("audit"))
    .order_by(_new.c.position)
)


async def delete_group_roles(session: AsyncSession, membership_id: uuid.UUID) -> list[HeldRole]:
    """Delete the membership's Infisical role rows; return them (with their roles), in order.

    One statement (``DELETE … RETURNING`` in a CTE joined to ``roles``) instead of a
    select of the current rows followed by a delete. Runs after the membership lock, so it
    sees every committed change to the rows.
    """
    rows = await _DELETE_HELD.fetch(session, {"membership_id": membership_id})
    return [HeldRole(*row) for row in rows]


async def insert_group_roles(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    membership_id: uuid.UUID,
    actor: str,
    rows: list[dict[str, Any]],
    now: dt.datetime,
    audit: dict[str, Any],
) -> list[AssignmentRow]:
    """Insert the new role rows, touch the membership and write the audit event at once.

    One statement: the insert returns the rows as stored (no re-select), and the
    membership update and the audit insert (``audit``: :func:`repository.audit_params`)
    ride along as data-modifying CTEs.
    """
    params: dict[str, Any] = {f"{name}s": [row[name] for row in rows] for name in _ARRAYS}
    params |= {"org_id": org_id, "membership_id": membership_id, "actor": actor, "now": now}
    params |= audit
    stored = await _INSERT_NEW.fetch(session, params)
    return [AssignmentRow(*row) for row in stored]


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


_ra_table = cast(Table, RoleAssignment.__table__)
_one_role = _ra_table.alias("held")
_one_role_roles = _roles.alias("held_role")
_ASSIGNMENT_COLUMNS = tuple(field.name for field in fields(AssignmentRow))


def _memberships_with_roles(*where: Any) -> DirectStatement:
    """Group memberships with their Infisical role rows and those rows' custom roles, in
    one statement: one row per role row, or one row with NULL role columns for a
    membership without any; a membership's rows are consecutive, its roles in order."""
    return DirectStatement(
        select(
            *_MEMBERSHIP_AND_GROUP,
            *(_one_role.c[name].label(f"ra_{name}") for name in _ASSIGNMENT_COLUMNS),
            *_custom_role_columns(_one_role_roles),
        )
        .select_from(_MEMBERSHIP_WITH_GROUP)
        .outerjoin(
            _one_role,
            and_(_one_role.c.project_membership_id == _pm.c.id, _one_role.c.surface == "infisical"),
        )
        .outerjoin(_one_role_roles, _one_role_roles.c.id == _one_role.c.role_id)
        .where(*where)
        .order_by(_groups.c.name, _pm.c.id, _one_role.c.position, _one_role.c.created_at)
    )


# A GET of endpoint A's resource.
_GROUP_MEMBERSHIP = _memberships_with_roles(*_ONE_MEMBERSHIP_IN_ORG)
# The project's group list, every membership (Infisical does not page it): plain rows,
# where ORM objects for each membership, group and role row were most of a 10,000-group
# list's time (bench/README.md, "Growth").
_PROJECT_GROUP_MEMBERSHIPS = _memberships_with_roles(
    _pm.c.project_id == bindparam("project_id"), _groups.c.org_id == bindparam("org_id")
)


def _views_of(rows: Sequence[Mapping[str, Any]]) -> list[GroupMembershipView]:
    views: list[GroupMembershipView] = []
    roles: list[tuple[AssignmentRow, RoleRow | None]] = []
    for row in rows:
        if not views or views[-1].membership.id != row["id"]:
            membership, group = _membership_and_group(row)
            roles = []
            views.append(GroupMembershipView(membership=membership, group=group, roles=roles))
        if row["ra_id"] is None:
            continue
        assignment = AssignmentRow(*(row[f"ra_{name}"] for name in _ASSIGNMENT_COLUMNS))
        roles.append((assignment, _custom_role(row)))
    return views


async def group_membership(
    session: AsyncSession, project_id: uuid.UUID, org_id: uuid.UUID, group_id: uuid.UUID
) -> GroupMembershipView | None:
    """One group's membership in the project, the group in ``org_id``."""
    rows = await _GROUP_MEMBERSHIP.fetch(
        session, {"project_id": project_id, "org_id": org_id, "group_id": group_id}
    )
    views = _views_of(rows)
    return views[0] if views else None


async def group_memberships(
    session: AsyncSession, project_id: uuid.UUID, org_id: uuid.UUID
) -> list[GroupMembershipView]:
    """Every group's membership in the project, by group name."""
    rows = await _PROJECT_GROUP_MEMBERSHIPS.fetch(
        session, {"project_id": project_id, "org_id": org_id}
    )
    return _views_of(rows)

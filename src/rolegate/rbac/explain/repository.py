"""SQL for explanations: principals by reference, a group's project roles, org-level grants.

Project rules of identities and users come from the shared
:func:`rolegate.rbac.repository.load_project_rule_sources` (with ``now=None`` it returns
every row with its window), so an explanation reads exactly the rows evaluation reads.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, bindparam, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from rolegate.db_direct import DirectStatement
from rolegate.rbac import repository
from rolegate.rbac.models import (
    Group,
    GroupMember,
    Identity,
    Project,
    ProjectMembership,
    Role,
    RoleAssignment,
    ServiceDefinition,
    User,
)
from rolegate.rbac.repository import RuleSource

ORG_KINDS = ("organization", "custom", "service", "binding")


def _as_uuid(ref: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(ref)
    except ValueError:
        return None


async def get_user(session: AsyncSession, user_id: uuid.UUID, org_id: uuid.UUID) -> User | None:
    stmt = select(User).where(User.id == user_id, User.org_id == org_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def groups_by_id(session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Group]:
    wanted = set(ids)
    if not wanted:
        return {}
    stmt = select(Group).where(Group.id.in_(wanted))
    return {group.id: group for group in (await session.execute(stmt)).scalars()}


async def group_rule_sources(
    session: AsyncSession, group_id: uuid.UUID, project_id: uuid.UUID
) -> list[RuleSource]:
    """Every project role row of a group in a project, whatever its window (``source='role'``)."""
    ra, pm = RoleAssignment, ProjectMembership
    stmt = (
        select(ra, Role.slug, Role.permissions)
        .select_from(pm)
        .join(ra, ra.project_membership_id == pm.id)
        .outerjoin(Role, Role.id == ra.role_id)
        .where(pm.project_id == project_id, pm.group_id == group_id)
        .order_by(ra.position, ra.created_at)
    )
    return [
        RuleSource(
            source="role",
            source_id=row.id,
            role_key=row.role_key,
            role_slug=slug,
            group_id=None,
            permissions=permissions,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
        )
        for row, slug, permissions in (await session.execute(stmt)).all()
    ]


# --- a principal and its project rule sources, in one statement (the API) -------------


@dataclass(frozen=True, slots=True)
class PrincipalSources:
    """A principal of the org, with every project rule source it has (every window)."""

    name: str  # an identity's or group's name, a user's email
    sources: list[RuleSource]
    groups: dict[uuid.UUID, tuple[str, str]]  # (name, slug) of the groups in ``sources``


def _group_role_sources(group_id: Any, project_id: Any) -> Select[Any]:
    """A group's project role rows as :class:`RuleSource` columns (``source='role'``, no
    group: they are the principal's own), the rows :func:`group_rule_sources` reads."""
    pm = ProjectMembership
    return repository.assignment_sources(
        and_(pm.project_id == project_id, pm.group_id == group_id),
        "role",
        repository.NULL_UUID,
        None,
    )


def _principal_sources_query(kind: str) -> Select[Any]:
    """The principal's row in the org, outer-joined to its rule sources and their groups:
    one row per source (one row with NULL sources when it has none, none when the
    principal is not in the org)."""
    principal_id: Any = bindparam("principal_id")
    project_id: Any = bindparam("project_id")
    table: Any
    if kind == "identity":
        table = aliased(Identity, name="principal")
        name = table.name
    elif kind == "user":
        table = aliased(User, name="principal")
        name = table.email
    else:
        table = aliased(Group, name="principal")
        name = table.name
    if kind == "group":
        sources: Any = _group_role_sources(principal_id, project_id)
    else:
        sources = repository.project_rule_sources_query(
            kind=kind, principal_id=principal_id, project_id=project_id, now=None
        )
    src = sources.subquery("src")
    source_group = aliased(Group, name="source_group")
    return (
        select(
            name.label("principal_name"),
            *src.c,
            source_group.name.label("group_name"),
            source_group.slug.label("group_slug"),
        )
        .select_from(table)
        .outerjoin(src, true())
        .outerjoin(source_group, source_group.id == src.c.group_id)
        .where(table.id == principal_id, table.org_id == bindparam("org_id"))
    )


# Run on every explanation and permission check: built once, sent on asyncpg directly.
_PRINCIPAL_SOURCES = {
    kind: DirectStatement(_principal_sources_query(kind)) for kind in ("identity", "user", "group")
}


async def principal_sources(
    session: AsyncSession,
    *,
    kind: str,
    principal_id: uuid.UUID,
    org_id: uuid.UUID,
    project_id: uuid.UUID,
) -> PrincipalSources | None:
    """The principal's name and rule sources in the project; None when it is not in
    ``org_id``. Every window is returned: the caller decides what is open when."""
    rows = await _PRINCIPAL_SOURCES[kind].fetch(
        session, {"principal_id": principal_id, "org_id": org_id, "project_id": project_id}
    )
    if not rows:
        return None
    sources = []
    groups: dict[uuid.UUID, tuple[str, str]] = {}
    for row in rows:
        if row["source_id"] is None:
            continue
        sources.append(repository.rule_source_from_row(row))
        if row["group_id"] is not None and row["group_name"] is not None:
            groups[row["group_id"]] = (row["group_name"], row["group_slug"])
    return PrincipalSources(name=rows[0]["principal_name"], sources=sources, groups=groups)


# --- lookups by a human reference (the CLI) -------------------------------------------


async def find_projects(session: AsyncSession, ref: str) -> list[Project]:
    """Projects whose id or slug is ``ref`` (a slug may exist in several orgs)."""
    ref_id = _as_uuid(ref)
    cond = Project.slug == ref if ref_id is None else or_(Project.id == ref_id, Project.slug == ref)
    return list((await session.execute(select(Project).where(cond))).scalars())


async def find_identity(session: AsyncSession, ref: str, org_id: uuid.UUID) -> Identity | None:
    ref_id = _as_uuid(ref)
    by = Identity.name == ref if ref_id is None else Identity.id == ref_id
    stmt = select(Identity).where(by, Identity.org_id == org_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def find_user(session: AsyncSession, ref: str, org_id: uuid.UUID) -> User | None:
    ref_id = _as_uuid(ref)
    by = User.email == ref if ref_id is None else User.id == ref_id
    stmt = select(User).where(by, User.org_id == org_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def find_group(session: AsyncSession, ref: str, org_id: uuid.UUID) -> Group | None:
    ref_id = _as_uuid(ref)
    by = Group.slug == ref if ref_id is None else Group.id == ref_id
    stmt = select(Group).where(by, Group.org_id == org_id)
    return (await session.execute(stmt)).scalar_one_or_none()


# --- org-level grants (every surface) -------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrgAssignmentRow:
    assignment: RoleAssignment
    role: Role | None
    service: ServiceDefinition | None
    group: Group | None  # the holder when it is a group


async def org_assignments(
    session: AsyncSession,
    org_id: uuid.UUID,
    *,
    user_id: uuid.UUID | None = None,
    group_id: uuid.UUID | None = None,
) -> list[OrgAssignmentRow]:
    """Org-scoped role rows (CSP org/custom/service roles, ctrl-hub bindings) of a holder.

    For a user: the rows held directly and those of every group the user belongs to.
    For a group: the group's own rows. Every window is returned; the caller decides.
    """
    ra = RoleAssignment
    service_role_def = aliased(ServiceDefinition)
    if user_id is not None:
        groups_of_user = select(GroupMember.group_id).where(GroupMember.user_id == user_id)
        holder = or_(ra.user_id == user_id, ra.group_id.in_(groups_of_user))
    else:
        holder = ra.group_id == group_id
    stmt = (
        select(ra, Role, service_role_def, Group)
        .outerjoin(Role, Role.id == ra.role_id)
        .outerjoin(
            service_role_def,
            service_role_def.id == ra.service_definition_id,
        )
        .outerjoin(Group, Group.id == ra.group_id)
        .where(ra.org_id == org_id, ra.kind.in_(ORG_KINDS), holder)
        .order_by(ra.kind, ra.group_id.is_not(None), ra.position, ra.created_at)
    )
    rows = (await session.execute(stmt)).all()
    services = await _services_of_roles(session, [r for _, r, s, _ in rows if r and s is None])
    return [
        OrgAssignmentRow(
            assignment=assignment,
            role=role,
            service=service or (services.get(role.service_definition_id) if role else None),
            group=group,
        )
        for assignment, role, service, group in rows
    ]


async def _services_of_roles(
    session: AsyncSession, roles: list[Role]
) -> dict[uuid.UUID | None, ServiceDefinition]:
    """Service roles may name their service on the role row rather than the assignment."""
    ids = {role.service_definition_id for role in roles if role.service_definition_id}
    if not ids:
        return {}
    stmt = select(ServiceDefinition).where(ServiceDefinition.id.in_(ids))
    return {service.id: service for service in (await session.execute(stmt)).scalars()}

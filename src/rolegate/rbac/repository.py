"""Shared queries of the core: tenancy lookups, permission loading, token state, audit.

All SQL of the core lives in repository modules; services call them and never commit.
Feature-specific queries live beside their feature (``*_repository.py``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Select,
    and_,
    bindparam,
    cast,
    func,
    insert,
    literal,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.context import request_id_var
from rolegate.rbac.actors import Actor
from rolegate.rbac.models import (
    AccessToken,
    AdditionalPrivilege,
    AuditEvent,
    Group,
    GroupMember,
    Identity,
    Organization,
    Project,
    ProjectMembership,
    Role,
    RoleAssignment,
)
from rolegate.rbac.windows import open_at_sql

# --- tenancy lookups -----------------------------------------------------------------


async def get_organization(session: AsyncSession, org_id: uuid.UUID) -> Organization | None:
    return await session.get(Organization, org_id)


async def lock_group(session: AsyncSession, group_id: uuid.UUID, org_id: uuid.UUID) -> Group | None:
    """The group row of ``org_id``, locked until the transaction ends: its writers serialize.

    ``populate_existing`` refreshes a copy the session may hold from an earlier read.
    """
    stmt = (
        select(Group)
        .where(Group.id == group_id, Group.org_id == org_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_project(
    session: AsyncSession, project_id: uuid.UUID, org_id: uuid.UUID
) -> Project | None:
    stmt = select(Project).where(Project.id == project_id, Project.org_id == org_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_project_by_slug(
    session: AsyncSession, slug: str, org_id: uuid.UUID
) -> Project | None:
    stmt = select(Project).where(Project.slug == slug, Project.org_id == org_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_group(session: AsyncSession, group_id: uuid.UUID, org_id: uuid.UUID) -> Group | None:
    stmt = select(Group).where(Group.id == group_id, Group.org_id == org_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def groups_named(session: AsyncSession, name: str, org_id: uuid.UUID) -> list[Group]:
    """Up to two groups of the org with exactly this name (two say it is ambiguous)."""
    stmt = select(Group).where(Group.org_id == org_id, Group.name == name).limit(2)
    return list((await session.execute(stmt)).scalars())


async def get_identity(
    session: AsyncSession, identity_id: uuid.UUID, org_id: uuid.UUID
) -> Identity | None:
    stmt = select(Identity).where(Identity.id == identity_id, Identity.org_id == org_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def project_roles_by_slug(
    session: AsyncSession, project_id: uuid.UUID, slugs: Sequence[str]
) -> dict[str, Role]:
    if not slugs:
        return {}
    stmt = select(Role).where(
        Role.scope == "project", Role.project_id == project_id, Role.slug.in_(list(slugs))
    )
    return {role.slug: role for role in (await session.execute(stmt)).scalars()}


# --- permissions ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RuleSource:
    """One place an actor's project permissions come from, with its raw rules."""

    source: str  # "role" | "group-role" | "privilege"
    source_id: uuid.UUID  # the assignment or privilege row
    role_key: str  # builtin slug, "custom", or the privilege slug
    role_slug: str | None  # custom role slug
    group_id: uuid.UUID | None
    permissions: list[dict[str, Any]] | None  # custom role / privilege rules (JSON)
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None


# A bare NULL in the first branch of a UNION makes PostgreSQL type the column as text,
# which then clashes with the uuid group ids of the group branch (users only).
NULL_UUID: Any = cast(null(), PG_UUID(as_uuid=True))


def assignment_sources(
    membership_filter: Any, source: str, group_col: Any, now: Any
) -> Select[Any]:
    """Role rows of the memberships ``membership_filter`` picks, as :class:`RuleSource`
    columns (``group_col`` for ``group_id``); only those open at ``now`` unless None."""
    ra, pm = RoleAssignment, ProjectMembership
    stmt = (
        select(
            literal(source).label("source"),
            ra.id.label("source_id"),
            ra.role_key.label("role_key"),
            Role.slug.label("role_slug"),
            group_col.label("group_id"),
            Role.permissions.label("permissions"),
            ra.starts_at.label("starts_at"),
            ra.ends_at.label("ends_at"),
        )
        .select_from(pm)
        .join(ra, ra.project_membership_id == pm.id)
        .outerjoin(Role, Role.id == ra.role_id)
        .where(membership_filter)
    )
    if now is not None:
        stmt = stmt.where(open_at_sql(ra.starts_at, ra.ends_at, now))
    return stmt


def project_rule_sources_query(
    *, kind: str, principal_id: Any, project_id: Any, now: Any
) -> CompoundSelect[Any]:
    """SQL for every role and privilege giving ``principal`` rules in ``project``.

    Its columns are :class:`RuleSource`'s fields; other queries embed it as a subquery.
    The ids and ``now`` are values or ``bindparam()``s (for a statement built once).
    """
    pm, ap = ProjectMembership, AdditionalPrivilege
    principal_col = pm.identity_id if kind == "identity" else pm.user_id
    direct = assignment_sources(
        and_(pm.project_id == project_id, principal_col == principal_id),
        "role",
        NULL_UUID,
        now,
    )
    privileges = (
        select(
            literal("privilege").label("source"),
            ap.id.label("source_id"),
            ap.slug.label("role_key"),
            null().label("role_slug"),
            NULL_UUID.label("group_id"),
            ap.permissions.label("permissions"),
            ap.starts_at.label("starts_at"),
            ap.ends_at.label("ends_at"),
        )
        .select_from(pm)
        .join(ap, ap.project_membership_id == pm.id)
        .where(pm.project_id == project_id, principal_col == principal_id)
    )
    if now is not None:
        privileges = privileges.where(open_at_sql(ap.starts_at, ap.ends_at, now))
    parts: list[Select[Any]] = [direct, privileges]
    if kind == "user":
        # Groups hold users only (Infisical groups have no machine identities).
        member_groups = select(GroupMember.group_id).where(GroupMember.user_id == principal_id)
        parts.append(
            assignment_sources(
                and_(pm.project_id == project_id, pm.group_id.in_(member_groups)),
                "group-role",
                pm.group_id,
                now,
            )
        )
    return union_all(*parts)


def rule_source_from_row(row: Mapping[Any, Any]) -> RuleSource:
    """A row with :func:`project_rule_sources_query`'s columns (``Row._mapping`` or an
    asyncpg record)."""
    return RuleSource(
        source=row["source"],
        source_id=row["source_id"],
        role_key=row["role_key"],
        role_slug=row["role_slug"],
        group_id=row["group_id"],
        permissions=row["permissions"],
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
    )


async def load_project_rule_sources(
    session: AsyncSession,
    *,
    kind: str,
    principal_id: uuid.UUID,
    project_id: uuid.UUID,
    now: dt.datetime | None,
) -> list[RuleSource]:
    """Every role and privilege that gives ``principal`` rules in ``project``, in one query.

    ``now`` filters on the time windows; ``None`` returns every row (for explanations).
    """
    stmt = project_rule_sources_query(
        kind=kind, principal_id=principal_id, project_id=project_id, now=now
    )
    rows = (await session.execute(stmt)).all()
    return [rule_source_from_row(row._mapping) for row in rows]


# --- access tokens -------------------------------------------------------------------


async def record_access_token(
    session: AsyncSession,
    *,
    jti: uuid.UUID,
    surface: str,
    principal_id: uuid.UUID,
    issued_at: dt.datetime,
    expires_at: dt.datetime,
) -> None:
    await session.execute(
        insert(AccessToken).values(
            id=jti,
            surface=surface,
            principal_id=principal_id,
            issued_at=issued_at,
            expires_at=expires_at,
        )
    )


async def revoke_access_token(session: AsyncSession, jti: uuid.UUID, now: dt.datetime) -> bool:
    stmt = (
        update(AccessToken)
        .where(AccessToken.id == jti, AccessToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .returning(AccessToken.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


# --- audit ---------------------------------------------------------------------------


async def record_audit(
    session: AsyncSession,
    *,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: uuid.UUID | str,
    before: Any,
    after: Any,
) -> None:
    """Write one audit event in the caller's transaction: it commits or rolls back with it."""
    await session.execute(
        insert(AuditEvent).values(
            id=uuid.uuid4(),
            org_id=actor.org_id,
            surface=actor.surface,
            action=action,
            actor_type=actor.kind,
            actor_id=actor.audit_id,
            target_type=target_type,
            target_id=str(target_id),
            before=before,
            after=after,
            request_id=request_id_var.get(),
        )
    )


# The audit event's INSERT with named parameters, for callers that send it as a CTE of a
# larger statement (built once; the id is generated by the database).
AUDIT_INSERT = insert(AuditEvent).values(
    id=func.gen_random_uuid(),
    org_id=bindparam("audit_org_id"),
    surface=bindparam("audit_surface"),
    action=bindparam("audit_action"),
    actor_type=bindparam("audit_actor_type"),
    actor_id=bindparam("audit_actor_id"),
    target_type=bindparam("audit_target_type"),
    target_id=bindparam("audit_target_id"),
    before=bindparam("audit_before", type_=AuditEvent.__table__.c.before.type),
    after=bindparam("audit_after", type_=AuditEvent.__table__.c.after.type),
    request_id=bindparam("audit_request_id"),
)


def audit_params(
    *,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: uuid.UUID | str,
    before: Any,
    after: Any,
) -> dict[str, Any]:
    """Parameters of :data:`AUDIT_INSERT`: the same event :func:`record_audit` writes."""
    return {
        "audit_org_id": actor.org_id,
        "audit_surface": actor.surface,
        "audit_action": action,
        "audit_actor_type": actor.kind,
        "audit_actor_id": actor.audit_id,
        "audit_target_type": target_type,
        "audit_target_id": str(target_id),
        "audit_before": before,
        "audit_after": after,
        "audit_request_id": request_id_var.get(),
    }

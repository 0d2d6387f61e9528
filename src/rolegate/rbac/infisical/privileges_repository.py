"""SQL for identity additional privileges (Infisical endpoint B and its siblings)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, delete, select, true, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ClauseElement

from rolegate.db_direct import DirectStatement
from rolegate.rbac import repository
from rolegate.rbac.infisical.views import PrivilegeLocation
from rolegate.rbac.models import AdditionalPrivilege, Identity, Project, ProjectMembership
from rolegate.rbac.repository import RuleSource

UNIQUE_VIOLATION = "23505"


# Endpoint B's statements come back as plain rows, not ORM objects (as endpoint A's do:
# bench/README.md, "What paid off").


@dataclass(frozen=True, slots=True)
class PrivilegeRow:
    id: uuid.UUID
    project_membership_id: uuid.UUID
    slug: str
    permissions: list[dict[str, Any]]
    is_temporary: bool
    temporary_mode: str | None
    temporary_range: str | None
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


_COLUMNS = tuple(field.name for field in fields(PrivilegeRow))
# The privilege's columns travel beside rule sources, which have columns of the same name.
_PREFIX = "privilege_"


def _privilege_columns(table: Any) -> list[Any]:
    return [table.c[name].label(_PREFIX + name) for name in _COLUMNS]


def _privilege_of(row: Mapping[str, Any]) -> PrivilegeRow:
    return PrivilegeRow(*(row[_PREFIX + name] for name in _COLUMNS))


def _sources_of(rows: list[Any]) -> list[RuleSource]:
    return [repository.rule_source_from_row(row) for row in rows if row["source_id"] is not None]


async def identity_membership(
    session: AsyncSession,
    project_id: uuid.UUID,
    identity_id: uuid.UUID,
    org_id: uuid.UUID,
    *,
    lock: bool = False,
) -> tuple[ProjectMembership, Identity] | None:
    """The identity's membership in the project; with ``lock``, row-locked until commit.

    Writes lock the membership (the privileges' parent row), so that two requests on
    privileges of one identity, slug renames included, serialize.
    """
    stmt = (
        select(ProjectMembership, Identity)
        .join(Identity, Identity.id == ProjectMembership.identity_id)
        .where(
            ProjectMembership.project_id == project_id,
            ProjectMembership.identity_id == identity_id,
            Identity.org_id == org_id,
        )
    )
    if lock:
        stmt = stmt.with_for_update(of=ProjectMembership)
    row = (await session.execute(stmt)).one_or_none()
    return (row[0], row[1]) if row else None


async def get_privilege(
    session: AsyncSession, membership_id: uuid.UUID, slug: str
) -> AdditionalPrivilege | None:
    stmt = (
        select(AdditionalPrivilege)
        .where(
            AdditionalPrivilege.project_membership_id == membership_id,
            AdditionalPrivilege.slug == slug,
        )
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_privileges(
    session: AsyncSession, membership_id: uuid.UUID
) -> list[AdditionalPrivilege]:
    stmt = (
        select(AdditionalPrivilege)
        .where(AdditionalPrivilege.project_membership_id == membership_id)
        .order_by(AdditionalPrivilege.created_at, AdditionalPrivilege.slug)
    )
    return list((await session.execute(stmt)).scalars())


async def insert_privilege(
    session: AsyncSession, values: dict[str, Any]
) -> AdditionalPrivilege | None:
    """Insert a privilege; None when its slug is already taken in the membership."""
    stmt = (
        pg_insert(AdditionalPrivilege)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["project_membership_id", "slug"])
        .returning(AdditionalPrivilege)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def delete_privilege(session: AsyncSession, privilege_id: uuid.UUID) -> None:
    await session.execute(delete(AdditionalPrivilege).where(AdditionalPrivilege.id == privilege_id))


# --- endpoint B: lock and read in one statement, write in another ----------------------


@dataclass(frozen=True, slots=True)
class LockedPrivilege:
    project_id: uuid.UUID
    membership_id: uuid.UUID
    privilege: PrivilegeRow
    actor_sources: list[RuleSource]  # the actor's rule sources in the project, now


_projects = cast(Table, Project.__table__)
_pm = cast(Table, ProjectMembership.__table__)
_identities = cast(Table, Identity.__table__)
_ap = cast(Table, AdditionalPrivilege.__table__)


def _lock_query(kind: str) -> ClauseElement:
    """Project by slug, the identity's membership and the privilege by slug, the membership
    and the privilege row-locked, with the actor's rule sources in the project.

    The privilege is locked as well as its parent: a row lock that had to wait hands back
    the row's newest version, so the privilege read here is current even when this
    statement waited for another writer. The rest of the statement reads as of its start;
    the target's own rule sources are therefore read by the write, after the lock.
    """
    project, membership, privilege = (
        _projects.alias("project"),
        _pm.alias("membership"),
        _ap.alias("privilege"),
    )
    # LATERAL: the actor's rules in the project this row found by its slug.
    src = repository.project_rule_sources_query(
        kind=kind, principal_id=bindparam("actor_id"), project_id=project.c.id, now=bindparam("now")
    ).lateral("src")
    query: ClauseElement = (
        select(
            project.c.id.label("project_id"),
            membership.c.id.label("membership_id"),
            *_privilege_columns(privilege),
            *src.c,
        )
        .select_from(project)
        .join(
            membership,
            and_(
                membership.c.project_id == project.c.id,
                membership.c.identity_id == bindparam("identity_id"),
            ),
        )
        .join(
            _identities,
            and_(
                _identities.c.id == membership.c.identity_id,
                _identities.c.org_id == bindparam("org_id"),
            ),
        )
        .join(
            privilege,
            and_(
                privilege.c.project_membership_id == membership.c.id,
                privilege.c.slug == bindparam("privilege_slug"),
            ),
        )
        .outerjoin(src, true())
        .where(project.c.slug == bindparam("project_slug"), project.c.org_id == bindparam("org_id"))
        # The parent first, like every other writer of the identity's privileges.
        .with_for_update(of=[membership, privilege])
    )
    return query


_LOCK_PRIVILEGE = {kind: DirectStatement(_lock_query(kind)) for kind in ("identity", "user")}


async def lock_privilege(
    session: AsyncSession,
    *,
    actor_kind: str,
    actor_id: uuid.UUID,
    org_id: uuid.UUID,
    project_slug: str,
    identity_id: uuid.UUID,
    privilege_slug: str,
    now: dt.datetime,
) -> LockedPrivilege | None:
    """The privilege, locked with its membership, and the actor's rules, in one statement.

    None when the project, the identity's membership or the privilege is not there.
    """
    params = {
        "actor_id": actor_id,
        "org_id": org_id,
        "project_slug": project_slug,
        "identity_id": identity_id,
        "privilege_slug": privilege_slug,
        "now": now,
    }
    rows = await _LOCK_PRIVILEGE[actor_kind].fetch(session, params)
    if not rows:
        return None
    first = rows[0]
    return LockedPrivilege(
        project_id=first["project_id"],
        membership_id=first["membership_id"],
        privilege=_privilege_of(first),
        actor_sources=_sources_of(rows),
    )


_held = repository.project_rule_sources_query(
    kind="identity",
    principal_id=bindparam("identity_id"),
    project_id=bindparam("project_id"),
    now=bindparam("now"),
).cte("held")
_taken = _ap.alias("taken")
_WRITTEN = (
    "slug",
    "permissions",
    "is_temporary",
    "temporary_mode",
    "temporary_range",
    "starts_at",
    "ends_at",
    "updated_at",
)
_updated = (
    update(_ap)
    .where(
        _ap.c.id == bindparam("privilege_id"),
        ~select(_taken.c.id)
        .where(
            _taken.c.project_membership_id == bindparam("membership_id"),
            _taken.c.slug == bindparam("slug", type_=_ap.c.slug.type),
            _taken.c.id != bindparam("privilege_id"),
        )
        .exists(),
    )
    .values({name: bindparam(name, type_=_ap.c[name].type) for name in _WRITTEN})
    .returning(*_ap.c)
    .cte("updated")
)
_anchor = select(true().label("one")).subquery("anchor")  # one row, whatever joins
_WRITE_PRIVILEGE = DirectStatement(
    select(*_privilege_columns(_updated), *_held.c)
    .select_from(_anchor.outerjoin(_updated, true()).outerjoin(_held, true()))
    .add_cte(repository.AUDIT_INSERT.cte("audit"))
)


@dataclass(frozen=True, slots=True)
class WrittenPrivilege:
    stored: PrivilegeRow | None  # None: another privilege of the identity has the slug
    held_sources: list[RuleSource]  # the identity's rule sources just before the write


async def write_privilege(
    session: AsyncSession,
    *,
    privilege: PrivilegeRow,
    project_id: uuid.UUID,
    identity_id: uuid.UUID,
    now: dt.datetime,
    audit: dict[str, Any],
) -> WrittenPrivilege:
    """Store ``privilege`` (every column but its id, parent and creation time), unless its
    slug is taken, and write the audit event (``audit``: :func:`repository.audit_params`),
    in one statement that also returns what the identity held before it.

    Runs after :func:`lock_privilege`, so it reads every change committed before the lock.
    A caller that refuses the result raises, and the request's transaction rolls back
    with the write and the audit event in it.
    """
    params: dict[str, Any] = {name: getattr(privilege, name) for name in _WRITTEN}
    params |= {
        "privilege_id": privilege.id,
        "membership_id": privilege.project_membership_id,
        "project_id": project_id,
        "identity_id": identity_id,
        "now": now,
        **audit,
    }
    try:
        rows = await _WRITE_PRIVILEGE.fetch(session, params)
    except IntegrityError as exc:
        # Unreachable while every writer locks the membership first; kept as a 400.
        if getattr(exc.orig, "sqlstate", None) == UNIQUE_VIOLATION:
            return WrittenPrivilege(stored=None, held_sources=[])
        raise
    first = rows[0]
    stored = _privilege_of(first) if first[_PREFIX + "id"] is not None else None
    return WrittenPrivilege(stored=stored, held_sources=_sources_of(rows))


async def locate_privilege(
    session: AsyncSession, privilege_id: uuid.UUID, org_id: uuid.UUID
) -> PrivilegeLocation | None:
    """An identity privilege of the org by id (a user's or another org's is None)."""
    stmt = (
        select(Project.id, Project.slug, ProjectMembership.identity_id, AdditionalPrivilege.slug)
        .join(ProjectMembership, ProjectMembership.id == AdditionalPrivilege.project_membership_id)
        .join(Project, Project.id == ProjectMembership.project_id)
        .where(
            AdditionalPrivilege.id == privilege_id,
            Project.org_id == org_id,
            ProjectMembership.identity_id.is_not(None),
        )
    )
    row = (await session.execute(stmt)).one_or_none()
    if row is None or row[2] is None:
        return None
    return PrivilegeLocation(
        project_id=row[0], project_slug=row[1], identity_id=row[2], slug=row[3]
    )

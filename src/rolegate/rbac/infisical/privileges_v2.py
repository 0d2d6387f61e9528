"""Identity privileges addressed by id (Infisical's Privileges V2, Terraform's permissions_v2).

V2 names a privilege by its id and a project by its id where V1 uses slugs. Each call
resolves the id to the V1 target inside the actor's org and then runs the V1 service, so
both versions share one set of checks, locks, boundary and audit events. A privilege
renamed between the lookup and the V1 lock is answered 404, as if it had just gone.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac import repository
from rolegate.rbac.actors import Actor
from rolegate.rbac.errors import PrivilegeNotFoundError, ProjectNotFoundError
from rolegate.rbac.infisical import privileges
from rolegate.rbac.infisical import privileges_repository as repo
from rolegate.rbac.infisical.privileges import PrivilegeChanges, PrivilegeTarget
from rolegate.rbac.infisical.views import PrivilegeFields, PrivilegeLocation
from rolegate.rbac.models import AdditionalPrivilege
from rolegate.rbac.permissions.rules import Rule
from rolegate.rbac.windows import TemporaryWindow


async def _located(
    session: AsyncSession, actor: Actor, privilege_id: uuid.UUID
) -> tuple[PrivilegeLocation, PrivilegeTarget]:
    found = await repo.locate_privilege(session, privilege_id, actor.org_id)
    if found is None:
        raise PrivilegeNotFoundError(f"Failed to find privilege with ID {privilege_id}")
    return found, PrivilegeTarget(project_slug=found.project_slug, identity_id=found.identity_id)


async def create_privilege(
    session: AsyncSession,
    actor: Actor,
    *,
    project_id: uuid.UUID,
    identity_id: uuid.UUID,
    slug: str | None,
    rules: Sequence[Rule],
    window: TemporaryWindow,
    now: dt.datetime,
) -> tuple[uuid.UUID, AdditionalPrivilege]:
    project = await repository.get_project(session, project_id, actor.org_id)
    if project is None:
        raise ProjectNotFoundError(f"Failed to find project with ID {project_id}")
    target = PrivilegeTarget(project_slug=project.slug, identity_id=identity_id)
    created = await privileges.create_privilege(
        session,
        actor,
        target=target,
        slug=slug,
        rules=rules,
        window=window,
        now=now,
        window_path=("type",),
    )
    return project.id, created


async def get_privilege(
    session: AsyncSession, actor: Actor, *, privilege_id: uuid.UUID, now: dt.datetime
) -> tuple[PrivilegeLocation, AdditionalPrivilege]:
    found, target = await _located(session, actor, privilege_id)
    privilege = await privileges.get_privilege(
        session, actor, target=target, privilege_slug=found.slug, now=now
    )
    return found, privilege


async def update_privilege(
    session: AsyncSession,
    actor: Actor,
    *,
    privilege_id: uuid.UUID,
    changes: PrivilegeChanges,
    now: dt.datetime,
) -> tuple[PrivilegeLocation, PrivilegeFields]:
    found, target = await _located(session, actor, privilege_id)
    updated = await privileges.update_privilege(
        session, actor, target=target, privilege_slug=found.slug, changes=changes, now=now
    )
    return found, updated


async def delete_privilege(
    session: AsyncSession, actor: Actor, *, privilege_id: uuid.UUID, now: dt.datetime
) -> tuple[PrivilegeLocation, AdditionalPrivilege]:
    found, target = await _located(session, actor, privilege_id)
    deleted = await privileges.delete_privilege(
        session, actor, target=target, privilege_slug=found.slug, now=now
    )
    return found, deleted


async def list_privileges(
    session: AsyncSession,
    actor: Actor,
    *,
    project_id: uuid.UUID,
    identity_id: uuid.UUID,
    now: dt.datetime,
) -> list[AdditionalPrivilege]:
    project = await repository.get_project(session, project_id, actor.org_id)
    if project is None:
        raise ProjectNotFoundError(f"Failed to find project with ID {project_id}")
    target = PrivilegeTarget(project_slug=project.slug, identity_id=identity_id)
    return await privileges.list_privileges(session, actor, target=target, now=now)

"""An actor's access to one project, loaded once per request.

A surface's auth can authenticate a bearer token and load the actor's rules in the project
named by the request path in the same query (:func:`authenticate_identity`); the service
then authorizes against that :class:`ProjectAccess` instead of loading it again. Services
called without one load it themselves (:func:`project_access`), in one query too.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac.actors import Actor
from rolegate.rbac.evaluation import flatten
from rolegate.rbac.infisical import access_repository
from rolegate.rbac.permissions.rules import Rule


@dataclass(frozen=True, slots=True)
class ProjectAccess:
    """What an actor may do in one project."""

    project_id: uuid.UUID
    found: bool  # the project exists in the actor's org
    rules: list[Rule]  # the actor's rules there, now (empty when not found)


@dataclass(frozen=True, slots=True)
class ActorInProject:
    actor: Actor
    access: ProjectAccess | None  # None when the request named no (valid) project id


async def project_access(
    session: AsyncSession, actor: Actor, project_id: uuid.UUID, now: dt.datetime
) -> ProjectAccess:
    rows = await access_repository.project_rules(
        session,
        kind=actor.kind,
        principal_id=actor.id,
        org_id=actor.org_id,
        project_id=project_id,
        now=now,
    )
    return ProjectAccess(project_id, rows.project_found, flatten(rows.sources))


async def authenticate_identity(
    session: AsyncSession,
    *,
    token_id: uuid.UUID,
    identity_id: uuid.UUID,
    surface: str,
    project_id: uuid.UUID | None,
    now: dt.datetime,
) -> ActorInProject | None:
    """The machine identity behind a live token, and its access to ``project_id``.

    None when the token is revoked, expired or unknown, or its identity no longer exists.
    """
    found = await access_repository.live_identity(
        session,
        token_id=token_id,
        identity_id=identity_id,
        surface=surface,
        project_id=project_id,
        now=now,
    )
    if found is None:
        return None
    actor = Actor(
        kind="identity",
        id=identity_id,
        org_id=found.org_id,
        surface=surface,
        token_id=token_id,
        org_role=found.org_role,
    )
    access = None
    if project_id is not None and found.project is not None:
        access = ProjectAccess(
            project_id, found.project.project_found, flatten(found.project.sources)
        )
    return ActorInProject(actor=actor, access=access)

"""Creating a project, optionally from a project template (``POST /api/v2/workspace``).

What makes a template useful rather than just stored: the new project gets the
template's environments and its roles as custom project roles, and the creator becomes
the project's admin, all in one transaction with one audit event.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import string
import uuid
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac import repository
from rolegate.rbac.actors import Actor
from rolegate.rbac.errors import (
    ConflictError,
    PermissionDeniedError,
    ProjectNotFoundError,
    TemplateNotFoundError,
)
from rolegate.rbac.infisical import templates_repository as repo
from rolegate.rbac.infisical.access import project_access
from rolegate.rbac.infisical.templates import (
    DEFAULT_TEMPLATE_ID,
    DEFAULT_TEMPLATE_NAME,
    default_environments,
    require_org_permission,
    stored_environments,
)
from rolegate.rbac.infisical.templates import (
    SUBJECT as TEMPLATES,
)
from rolegate.rbac.models import (
    Environment,
    Project,
    ProjectMembership,
    ProjectTemplate,
    Role,
    RoleAssignment,
)
from rolegate.rbac.permissions.rules import Ability

SLUG_MAX: Final = 64
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_SUFFIX_ALPHABET: Final = string.ascii_lowercase + string.digits


@dataclass(frozen=True, slots=True)
class ProjectView:
    project: Project
    environments: list[Environment]
    roles: list[Role]
    template: str


def slug_from_name(name: str) -> str:
    """Infisical's default: slugify(name) plus a random 4-character suffix (ASCII only)."""
    base = _NOT_SLUG.sub("-", name.lower()).strip("-")[: SLUG_MAX - 5].strip("-") or "project"
    suffix = "".join(secrets.choice(_SUFFIX_ALPHABET) for _ in range(4))
    return f"{base}-{suffix}"


async def _template(
    session: AsyncSession, actor: Actor, name: str | None, now: dt.datetime
) -> ProjectTemplate | None:
    if name is None or name in (DEFAULT_TEMPLATE_NAME, str(DEFAULT_TEMPLATE_ID)):
        return None
    await require_org_permission(session, actor, "read", TEMPLATES, now)
    template = await repo.get_template_by_name(session, name, actor.org_id)
    if template is None:
        try:
            template = await repo.get_template(session, uuid.UUID(name), actor.org_id)
        except ValueError:
            template = None
    if template is None:
        raise TemplateNotFoundError(f'Could not find project template with name "{name}"')
    return template


async def create_project(
    session: AsyncSession,
    actor: Actor,
    *,
    name: str,
    slug: str | None,
    template_name: str | None,
    now: dt.datetime,
    description: str | None = None,
) -> ProjectView:
    await require_org_permission(session, actor, "create", "workspace", now)
    template = await _template(session, actor, template_name, now)
    chosen = slug or slug_from_name(name)
    project = await repo.insert_project(
        session,
        {
            "id": uuid.uuid4(),
            "org_id": actor.org_id,
            "name": name,
            "slug": chosen,
            "description": description,
            "created_at": now,
            "updated_at": now,
        },
    )
    if project is None:
        raise ConflictError(f"Project with slug {chosen} already exists")
    envs = (
        template.environments
        if template is not None
        else stored_environments(default_environments())
    )
    await repo.insert_rows(
        session,
        Environment,
        [
            {
                "id": uuid.uuid4(),
                "project_id": project.id,
                "name": env["name"],
                "slug": env["slug"],
                "position": env["position"],
                "created_at": now,
                "updated_at": now,
            }
            for env in envs
        ],
    )
    await repo.insert_rows(
        session,
        Role,
        [
            {
                "id": uuid.uuid4(),
                "org_id": actor.org_id,
                "scope": "project",
                "project_id": project.id,
                "name": role["name"],
                "slug": role["slug"],
                "permissions": role["permissions"],
                "created_at": now,
                "updated_at": now,
            }
            for role in (template.roles if template is not None else [])
        ],
    )
    await _make_creator_admin(session, actor, project, now)
    view = ProjectView(
        project=project,
        environments=await repo.project_environments(session, project.id),
        roles=await repo.project_roles(session, project.id),
        template=template.name if template is not None else DEFAULT_TEMPLATE_NAME,
    )
    await repository.record_audit(
        session,
        actor=actor,
        action="project.create",
        target_type="project",
        target_id=project.id,
        before=None,
        after={
            "name": project.name,
            "slug": project.slug,
            "description": project.description,
            "template": view.template,
            "templateId": str(template.id) if template is not None else None,
            "environments": [env.slug for env in view.environments],
            "roles": [role.slug for role in view.roles],
        },
    )
    return view


async def _make_creator_admin(
    session: AsyncSession, actor: Actor, project: Project, now: dt.datetime
) -> None:
    principal: dict[str, Any] = (
        {"identity_id": actor.id} if actor.kind == "identity" else {"user_id": actor.id}
    )
    membership_id = uuid.uuid4()
    await repo.insert_rows(
        session,
        ProjectMembership,
        [
            {
                "id": membership_id,
                "project_id": project.id,
                "created_at": now,
                "updated_at": now,
                **principal,
            }
        ],
    )
    await repo.insert_rows(
        session,
        RoleAssignment,
        [
            {
                "id": uuid.uuid4(),
                "org_id": actor.org_id,
                "surface": "infisical",
                "kind": "project",
                "project_membership_id": membership_id,
                "role_key": "admin",
                "created_by": actor.audit_id,
                "updated_by": actor.audit_id,
                "created_at": now,
                "updated_at": now,
            }
        ],
    )


@dataclass(frozen=True, slots=True)
class ProjectRead:
    project: Project
    environments: list[Environment]


async def get_project_by_slug(
    session: AsyncSession, actor: Actor, slug: str, now: dt.datetime
) -> ProjectRead:
    """``GET /api/v2/workspace/{slug}``: a project of the actor's org it may read."""
    project = await repository.get_project_by_slug(session, slug, actor.org_id)
    if project is None:
        raise ProjectNotFoundError(f"Project with slug {slug} not found")
    access = await project_access(session, actor, project.id, now)
    if not Ability(access.rules).can("read", "workspace"):
        raise PermissionDeniedError("You are not allowed to read on workspace")
    return ProjectRead(
        project=project, environments=await repo.project_environments(session, project.id)
    )

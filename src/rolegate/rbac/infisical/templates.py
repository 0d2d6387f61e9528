"""Project templates (Infisical endpoint C and its siblings).

A template is an org-level blueprint: custom project roles (with permission rules) and
environments that a new project starts with. Writes need the org permission of the
same name on ``project-templates``; a template of another org does not exist for the
actor (404). The body rules (reserved and duplicate slugs and names, positions 1..n, the
32 KiB size limit) are checked here, once, and reported with the path of each offending
item so that every surface and the seed loader can share them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac import repository
from rolegate.rbac.actors import Actor
from rolegate.rbac.catalogue import DEFAULT_ENVIRONMENTS
from rolegate.rbac.errors import (
    ConflictError,
    InvalidInputError,
    PermissionDeniedError,
    TemplateNotFoundError,
)
from rolegate.rbac.evaluation import actor_org_rules
from rolegate.rbac.infisical import templates_repository as repo
from rolegate.rbac.infisical.views import TemplateFields
from rolegate.rbac.models import ProjectTemplate
from rolegate.rbac.permissions.rules import Ability, Rule, rules_to_json

SUBJECT: Final = "project-templates"
#: The name Infisical gives its built-in template (no custom roles, dev/staging/prod).
DEFAULT_TEMPLATE_NAME: Final = "default"
#: Infisical's fixed id for that template. It is never stored: the list shows it, and a
#: read, update or delete by this id is a 404, as on Infisical.
DEFAULT_TEMPLATE_ID: Final = uuid.UUID("b11b49a9-09a9-4443-916a-4246f9ff2c69")
DEFAULT_TEMPLATE_DESCRIPTION: Final = "Infisical's default project template"
RESERVED_ROLE_SLUGS: Final = frozenset({"admin", "member", "viewer", "no-access", "custom"})
RESERVED_ROLE_NAMES: Final = frozenset({"custom", "admin", "viewer", "developer", "no access"})
MAX_ROLES_JSON_BYTES: Final = 32 * 1024
POSITIONS_MESSAGE: Final = (
    "One or more of the positions specified is invalid. Positions must be sequential"
    " starting from 1."
)

Issues = list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class TemplateRoleSpec:
    name: str
    slug: str
    rules: tuple[Rule, ...]


@dataclass(frozen=True, slots=True)
class EnvironmentSpec:
    name: str
    slug: str
    position: int


@dataclass(frozen=True, slots=True)
class TemplateChanges:
    """A partial update: ``None`` means "leave as it is" (for ``roles`` too: ``[]`` clears)."""

    name: str | None = None
    description: str | None = None
    roles: Sequence[TemplateRoleSpec] | None = None
    environments: Sequence[EnvironmentSpec] | None = None


def default_environments() -> list[EnvironmentSpec]:
    return [
        EnvironmentSpec(name=name, slug=slug, position=position)
        for position, (name, slug) in enumerate(DEFAULT_ENVIRONMENTS, start=1)
    ]


def _issue(path: list[Any], message: str) -> dict[str, Any]:
    return {"code": "custom", "message": message, "path": path}


def name_issues(name: str | None) -> Issues:
    if name is not None and name == DEFAULT_TEMPLATE_NAME:
        return [_issue(["name"], "The requested project template name is reserved.")]
    return []


def stored_roles(roles: Sequence[TemplateRoleSpec]) -> list[dict[str, Any]]:
    return [
        {"name": role.name, "slug": role.slug, "permissions": rules_to_json(role.rules)}
        for role in roles
    ]


def stored_environments(environments: Sequence[EnvironmentSpec]) -> list[dict[str, Any]]:
    ordered = sorted(environments, key=lambda env: env.position)
    return [{"name": env.name, "slug": env.slug, "position": env.position} for env in ordered]


def role_issues(roles: Sequence[TemplateRoleSpec] | None) -> Issues:
    """Reserved and duplicate slugs and names, and the size limit, each at its path."""
    if roles is None:
        return []
    issues: Issues = []
    slugs: set[str] = set()
    names: set[str] = set()
    for index, role in enumerate(roles):
        if role.slug in RESERVED_ROLE_SLUGS:
            issues.append(_issue(["roles", index, "slug"], f'Role slug "{role.slug}" is reserved'))
        elif role.slug in slugs:
            issues.append(
                _issue(["roles", index, "slug"], f'Role slug "{role.slug}" is used more than once')
            )
        if role.name.strip().lower() in RESERVED_ROLE_NAMES:
            issues.append(_issue(["roles", index, "name"], f'Role name "{role.name}" is reserved'))
        elif role.name in names:
            issues.append(
                _issue(["roles", index, "name"], f'Role name "{role.name}" is used more than once')
            )
        slugs.add(role.slug)
        names.add(role.name)
    # Measured on the stored (canonical, unpacked) form: that is what the limit protects.
    size = len(json.dumps(stored_roles(roles), separators=(",", ":")).encode())
    if size > MAX_ROLES_JSON_BYTES:
        issues.append(
            _issue(["roles"], f"Size of the roles exceeds the limit of 32 KiB ({size} bytes)")
        )
    return issues


def environment_issues(environments: Sequence[EnvironmentSpec] | None) -> Issues:
    """Unique names and slugs; positions exactly 1..n (each offending item named)."""
    if environments is None:
        return []
    issues: Issues = []
    names: set[str] = set()
    slugs: set[str] = set()
    positions: set[int] = set()
    count = len(environments)
    for index, env in enumerate(environments):
        if env.name in names:
            issues.append(
                _issue(
                    ["environments", index, "name"],
                    f'Environment name "{env.name}" is used more than once',
                )
            )
        if env.slug in slugs:
            issues.append(
                _issue(
                    ["environments", index, "slug"],
                    f'Environment slug "{env.slug}" is used more than once',
                )
            )
        if not 1 <= env.position <= count or env.position in positions:
            issues.append(_issue(["environments", index, "position"], POSITIONS_MESSAGE))
        names.add(env.name)
        slugs.add(env.slug)
        positions.add(env.position)
    return issues


def check_template_input(
    name: str | None,
    roles: Sequence[TemplateRoleSpec] | None,
    environments: Sequence[EnvironmentSpec] | None,
) -> None:
    issues = name_issues(name) + role_issues(roles) + environment_issues(environments)
    if issues:
        raise InvalidInputError(issues)


def _not_found(template_id: uuid.UUID) -> TemplateNotFoundError:
    return TemplateNotFoundError(f"Could not find project template with ID {template_id}")


def _name_taken(name: str) -> ConflictError:
    return ConflictError(f'A project template with the name "{name}" already exists.')


async def require_org_permission(
    session: AsyncSession, actor: Actor, action: str, subject: str, now: dt.datetime
) -> None:
    rules = await actor_org_rules(session, actor, now)
    if not Ability(rules).can(action, subject):
        raise PermissionDeniedError(f"You are not allowed to {action} on {subject}")


def snapshot(template: TemplateFields) -> dict[str, Any]:
    return {
        "name": template.name,
        "description": template.description,
        "roles": template.roles,
        "environments": template.environments,
    }


async def _audit(
    session: AsyncSession,
    actor: Actor,
    action: str,
    template_id: uuid.UUID,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    await repository.record_audit(
        session,
        actor=actor,
        action=action,
        target_type="project-template",
        target_id=template_id,
        before=before,
        after=after,
    )


async def create_template(
    session: AsyncSession,
    actor: Actor,
    *,
    name: str,
    description: str | None,
    roles: Sequence[TemplateRoleSpec],
    environments: Sequence[EnvironmentSpec] | None,
    now: dt.datetime,
) -> ProjectTemplate:
    envs = default_environments() if environments is None else environments
    check_template_input(name, roles, envs)
    await require_org_permission(session, actor, "create", SUBJECT, now)
    template = await repo.insert_template(
        session,
        {
            "id": uuid.uuid4(),
            "org_id": actor.org_id,
            "name": name,
            "description": description,
            "roles": stored_roles(roles),
            "environments": stored_environments(envs),
            "created_at": now,
            "updated_at": now,
        },
    )
    if template is None:
        raise _name_taken(name)
    await _audit(session, actor, "project-template.create", template.id, None, snapshot(template))
    return template


async def update_template(
    session: AsyncSession,
    actor: Actor,
    *,
    template_id: uuid.UUID,
    changes: TemplateChanges,
    now: dt.datetime,
    before_write: Callable[[TemplateFields], None] | None = None,
) -> TemplateFields:
    """Endpoint C: change only what ``changes`` names; roles/environments are replaced.

    Two statements: lock the template (checking a new name), then write it with the audit
    event. ``before_write`` sees the current template under its row lock, after every
    check passed and before anything is written (the API layer compares If-Match there).
    """
    check_template_input(changes.name, changes.roles, changes.environments)
    locked = await repo.lock_template(session, template_id, actor.org_id, changes.name)
    if locked is None:
        raise _not_found(template_id)
    await require_org_permission(session, actor, "edit", SUBJECT, now)
    if locked.name_taken:
        raise _name_taken(str(changes.name))
    current = locked.template
    # The whole row is written back: it is locked, so the fields the body leaves out are
    # still what was just read.
    after = dataclasses.replace(
        current,
        name=changes.name if changes.name is not None else current.name,
        description=(
            changes.description if changes.description is not None else current.description
        ),
        roles=stored_roles(changes.roles) if changes.roles is not None else current.roles,
        environments=(
            stored_environments(changes.environments)
            if changes.environments is not None
            else current.environments
        ),
        updated_at=now,
    )
    if before_write is not None:
        before_write(current)
    audit = repository.audit_params(
        actor=actor,
        action="project-template.update",
        target_type="project-template",
        target_id=current.id,
        before=snapshot(current),
        after=snapshot(after),
    )
    stored = await repo.write_template(session, after, audit)
    if stored is None:
        raise _name_taken(after.name)
    return stored


async def get_template(
    session: AsyncSession, actor: Actor, *, template_id: uuid.UUID, now: dt.datetime
) -> ProjectTemplate:
    template = await repo.get_template(session, template_id, actor.org_id)
    if template is None:
        raise _not_found(template_id)
    await require_org_permission(session, actor, "read", SUBJECT, now)
    return template


def default_template(org_id: uuid.UUID, since: dt.datetime) -> ProjectTemplate:
    """Infisical's built-in template, as the list shows it: no custom roles, dev/staging/prod.

    A transient row (never added to the session). Its timestamps are the org's creation
    time, not the time of the request as on Infisical, so that the list's body, and thus
    its ETag, stays the same while nothing changes.
    """
    return ProjectTemplate(
        id=DEFAULT_TEMPLATE_ID,
        org_id=org_id,
        name=DEFAULT_TEMPLATE_NAME,
        description=DEFAULT_TEMPLATE_DESCRIPTION,
        roles=[],
        environments=stored_environments(default_environments()),
        created_at=since,
        updated_at=since,
    )


async def list_templates(
    session: AsyncSession, actor: Actor, *, now: dt.datetime
) -> list[ProjectTemplate]:
    """Infisical's default template first, then the org's own by name."""
    await require_org_permission(session, actor, "read", SUBJECT, now)
    org = await repository.get_organization(session, actor.org_id)
    stored = await repo.list_templates(session, actor.org_id)
    if org is None:  # pragma: no cover - the actor's token was checked against its org
        return stored
    return [default_template(org.id, org.created_at), *stored]


async def delete_template(
    session: AsyncSession, actor: Actor, *, template_id: uuid.UUID, now: dt.datetime
) -> ProjectTemplate:
    template = await repo.get_template(session, template_id, actor.org_id, lock=True)
    if template is None:
        raise _not_found(template_id)
    await require_org_permission(session, actor, "delete", SUBJECT, now)
    await repo.delete_template(session, template.id)
    await _audit(session, actor, "project-template.delete", template.id, snapshot(template), None)
    return template

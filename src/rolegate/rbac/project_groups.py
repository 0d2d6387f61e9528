"""Groups in projects (Infisical endpoint A and its siblings): the rules, once.

A group's project roles are replaced as a whole under a row lock on its project
membership, so concurrent PATCHes serialize and the result is always one submitted set.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac import project_groups_repository as repo
from rolegate.rbac import repository
from rolegate.rbac.actors import Actor
from rolegate.rbac.builtin_roles import BUILTIN_PROJECT_ROLES
from rolegate.rbac.durations import InvalidDurationError, parse_ms_duration
from rolegate.rbac.errors import (
    BadRequestError,
    ConflictError,
    GroupNotFoundError,
    InvalidInputError,
    PermissionBoundaryError,
    PermissionDeniedError,
    ProjectNotFoundError,
    RoleNotFoundError,
)
from rolegate.rbac.evaluation import actor_project_rules, role_rules
from rolegate.rbac.models import Project, ProjectMembership, Role, RoleAssignment
from rolegate.rbac.permissions import Ability, Rule, missing_permissions
from rolegate.rbac.project_groups_repository import GroupMembershipView

SURFACE = "infisical"


@dataclass(frozen=True, slots=True)
class ProjectRoleSpec:
    """One requested project role: a slug, permanent or with a relative window."""

    role: str
    is_temporary: bool = False
    temporary_mode: str | None = None
    temporary_range: str | None = None
    temporary_access_start_time: dt.datetime | None = None


@dataclass(slots=True)
class _Context:
    project: Project
    actor_rules: list[Rule]


async def _authorize(
    session: AsyncSession, actor: Actor, project_id: uuid.UUID, action: str, now: dt.datetime
) -> _Context:
    project = await repository.get_project(session, project_id, actor.org_id)
    if project is None:
        raise ProjectNotFoundError(f"Failed to find project with ID {project_id}")
    rules = await actor_project_rules(session, actor, project.id, now)
    if not Ability(rules).can(action, "groups"):
        raise PermissionDeniedError(f"You are not allowed to {action} on groups")
    return _Context(project=project, actor_rules=rules)


def _group_not_found(group_id: uuid.UUID) -> GroupNotFoundError:
    return GroupNotFoundError(f"Failed to find group with ID {group_id}")


async def _resolve_roles(
    session: AsyncSession, project_id: uuid.UUID, slugs: Sequence[str]
) -> dict[str, Role | None]:
    """Map each slug to None (built-in) or its custom role; unknown slugs are a 404."""
    custom = await repository.project_roles_by_slug(
        session, project_id, [s for s in slugs if s not in BUILTIN_PROJECT_ROLES]
    )
    resolved: dict[str, Role | None] = {}
    for slug in slugs:
        if slug in BUILTIN_PROJECT_ROLES:
            resolved[slug] = None
        elif slug in custom:
            resolved[slug] = custom[slug]
        else:
            raise RoleNotFoundError(f"Specified role was not found: {slug}")
    return resolved


def _rules_of(role_key: str, role: Role | None) -> list[Rule]:
    return role_rules(
        "custom" if role is not None else role_key, role.permissions if role else None
    )


def _check_boundary(actor_rules: list[Rule], requested: list[Rule], message: str) -> None:
    missing = missing_permissions(actor_rules, requested)
    if missing:
        raise PermissionBoundaryError(message, missing)


def window_of(
    spec: ProjectRoleSpec, now: dt.datetime, index: int
) -> tuple[dt.datetime | None, dt.datetime | None]:
    if not spec.is_temporary:
        return None, None
    if spec.temporary_range is None or spec.temporary_access_start_time is None:
        raise InvalidInputError(
            [
                {
                    "code": "custom",
                    "message": "Temporary roles need temporaryMode, temporaryRange"
                    " and temporaryAccessStartTime",
                    "path": ["roles", index],
                }
            ]
        )
    try:
        millis = parse_ms_duration(spec.temporary_range)
    except InvalidDurationError as exc:
        raise InvalidInputError(
            [{"code": "custom", "message": str(exc), "path": ["roles", index, "temporaryRange"]}]
        ) from exc
    start = spec.temporary_access_start_time.astimezone(dt.UTC)
    return start, start + dt.timedelta(milliseconds=millis)


def _assignment_rows(
    actor: Actor,
    membership: ProjectMembership,
    specs: Sequence[ProjectRoleSpec],
    resolved: dict[str, Role | None],
    now: dt.datetime,
) -> list[dict[str, Any]]:
    rows = []
    for index, spec in enumerate(specs):
        starts_at, ends_at = window_of(spec, now, index)
        role = resolved[spec.role]
        rows.append(
            {
                "id": uuid.uuid4(),
                "org_id": actor.org_id,
                "surface": SURFACE,
                "kind": "project",
                "project_membership_id": membership.id,
                "role_key": "custom" if role is not None else spec.role,
                "role_id": role.id if role is not None else None,
                "is_temporary": spec.is_temporary,
                "temporary_mode": spec.temporary_mode if spec.is_temporary else None,
                "temporary_range": spec.temporary_range if spec.is_temporary else None,
                "starts_at": starts_at,
                "ends_at": ends_at,
                "position": index,
                "created_by": actor.audit_id,
                "updated_by": actor.audit_id,
                "created_at": now,
                "updated_at": now,
            }
        )
    return rows


def audit_roles(roles: Sequence[tuple[RoleAssignment, Role | None]]) -> list[dict[str, Any]]:
    return [
        {
            "role": role.slug if role is not None else ra.role_key,
            "isTemporary": ra.is_temporary,
            "temporaryRange": ra.temporary_range,
            "startsAt": ra.starts_at.isoformat() if ra.starts_at else None,
            "endsAt": ra.ends_at.isoformat() if ra.ends_at else None,
        }
        for ra, role in roles
    ]


def _reject_duplicates(specs: Sequence[ProjectRoleSpec]) -> None:
    # Infisical would store both rows; two windows for one role are ambiguous, so we refuse.
    seen: set[str] = set()
    for index, spec in enumerate(specs):
        if spec.role in seen:
            raise InvalidInputError(
                [
                    {
                        "code": "custom",
                        "message": f"Role '{spec.role}' is given more than once",
                        "path": ["roles", index, "role"],
                    }
                ]
            )
        seen.add(spec.role)


async def replace_group_roles(
    session: AsyncSession,
    actor: Actor,
    *,
    project_id: uuid.UUID,
    group_id: uuid.UUID,
    specs: Sequence[ProjectRoleSpec],
    now: dt.datetime,
    before_write: Callable[[GroupMembershipView], None] | None = None,
) -> GroupMembershipView:
    """Endpoint A: replace every Infisical role of a group in a project.

    ``before_write`` sees the current state under the row lock, after every check passed
    and before anything is written (the API layer compares If-Match there).
    """
    _reject_duplicates(specs)
    ctx = await _authorize(session, actor, project_id, "edit", now)
    found = await repo.lock_group_membership(session, ctx.project.id, group_id, actor.org_id)
    if found is None:
        raise _group_not_found(group_id)
    membership, group = found
    resolved = await _resolve_roles(session, ctx.project.id, [s.role for s in specs])
    current = await repo.group_roles(session, membership.id)
    requested = [r for slug, role in resolved.items() for r in _rules_of(slug, role)]
    held = [r for ra, role in current for r in _rules_of(ra.role_key, role)]
    _check_boundary(
        ctx.actor_rules,
        requested + held,
        "Failed to update group roles: you cannot grant or take away permissions you do not hold",
    )
    if not any(not spec.is_temporary for spec in specs):
        raise BadRequestError("Group must have at least one permanent role")
    rows = _assignment_rows(actor, membership, specs, resolved, now)
    if before_write is not None:
        before_write(GroupMembershipView(membership=membership, group=group, roles=current))
    await repo.replace_group_roles(session, membership.id, rows)
    await repo.touch_membership(session, membership.id, now)
    after = await repo.group_roles(session, membership.id)
    await repository.record_audit(
        session,
        actor=actor,
        action="project-group.roles.update",
        target_type="project-group-membership",
        target_id=membership.id,
        before={
            "projectId": str(ctx.project.id),
            "groupId": str(group.id),
            "roles": audit_roles(current),
        },
        after={
            "projectId": str(ctx.project.id),
            "groupId": str(group.id),
            "roles": audit_roles(after),
        },
    )
    return GroupMembershipView(membership=membership, group=group, roles=after)


async def add_group_to_project(
    session: AsyncSession,
    actor: Actor,
    *,
    project_id: uuid.UUID,
    group_id: uuid.UUID,
    role_slug: str,
    now: dt.datetime,
) -> GroupMembershipView:
    ctx = await _authorize(session, actor, project_id, "create", now)
    group = await repository.get_group(session, group_id, actor.org_id)
    if group is None:
        raise _group_not_found(group_id)
    resolved = await _resolve_roles(session, ctx.project.id, [role_slug])
    _check_boundary(
        ctx.actor_rules,
        _rules_of(role_slug, resolved[role_slug]),
        "Failed to add group to project: you cannot grant permissions you do not hold",
    )
    membership = await repo.insert_group_membership(session, ctx.project.id, group.id, now)
    if membership is None:
        raise ConflictError(
            f"Group with name {group.name} already exists in project with id {ctx.project.id}"
        )
    rows = _assignment_rows(actor, membership, [ProjectRoleSpec(role=role_slug)], resolved, now)
    await repo.replace_group_roles(session, membership.id, rows)
    after = await repo.group_roles(session, membership.id)
    await repository.record_audit(
        session,
        actor=actor,
        action="project-group.add",
        target_type="project-group-membership",
        target_id=membership.id,
        before=None,
        after={
            "projectId": str(ctx.project.id),
            "groupId": str(group.id),
            "roles": audit_roles(after),
        },
    )
    return GroupMembershipView(membership=membership, group=group, roles=after)


async def get_group_membership(
    session: AsyncSession,
    actor: Actor,
    *,
    project_id: uuid.UUID,
    group_id: uuid.UUID,
    now: dt.datetime,
) -> GroupMembershipView:
    ctx = await _authorize(session, actor, project_id, "read", now)
    views = await repo.group_memberships(session, ctx.project.id, actor.org_id, group_id=group_id)
    if not views:
        raise _group_not_found(group_id)
    return views[0]


async def list_group_memberships(
    session: AsyncSession, actor: Actor, *, project_id: uuid.UUID, now: dt.datetime
) -> list[GroupMembershipView]:
    ctx = await _authorize(session, actor, project_id, "read", now)
    return await repo.group_memberships(session, ctx.project.id, actor.org_id)


async def remove_group_from_project(
    session: AsyncSession,
    actor: Actor,
    *,
    project_id: uuid.UUID,
    group_id: uuid.UUID,
    now: dt.datetime,
) -> GroupMembershipView:
    ctx = await _authorize(session, actor, project_id, "delete", now)
    found = await repo.lock_group_membership(session, ctx.project.id, group_id, actor.org_id)
    if found is None:
        raise _group_not_found(group_id)
    membership, group = found
    current = await repo.group_roles(session, membership.id)
    # Removing a group takes its roles away: only an actor holding them may do that.
    _check_boundary(
        ctx.actor_rules,
        [r for ra, role in current for r in _rules_of(ra.role_key, role)],
        "Failed to remove group: you cannot take away permissions you do not hold",
    )
    await repo.delete_membership(session, membership.id)
    await repository.record_audit(
        session,
        actor=actor,
        action="project-group.remove",
        target_type="project-group-membership",
        target_id=membership.id,
        before={
            "projectId": str(ctx.project.id),
            "groupId": str(group.id),
            "roles": audit_roles(current),
        },
        after=None,
    )
    return GroupMembershipView(membership=membership, group=group, roles=current)

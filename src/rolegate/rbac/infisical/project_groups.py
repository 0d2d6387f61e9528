"""Groups in projects (Infisical endpoint A and its siblings): the rules, once.

A group's project roles are replaced as a whole under a row lock on its project
membership, so concurrent PATCHes serialize and the result is always one submitted set.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac import repository
from rolegate.rbac.actors import Actor
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
from rolegate.rbac.evaluation import role_rules
from rolegate.rbac.infisical import project_groups_repository as repo
from rolegate.rbac.infisical.access import ProjectAccess, project_access
from rolegate.rbac.infisical.views import (
    AssignmentFields,
    GroupFields,
    GroupMembershipView,
    MembershipFields,
    RoleFields,
)
from rolegate.rbac.permissions.boundary import missing_permissions
from rolegate.rbac.permissions.builtin_roles import BUILTIN_PROJECT_ROLES
from rolegate.rbac.permissions.rules import Ability, Rule
from rolegate.rbac.windows import InvalidWindowError, relative_bounds

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
    project_id: uuid.UUID
    actor_rules: list[Rule]


async def _authorize(
    session: AsyncSession,
    actor: Actor,
    project_id: uuid.UUID,
    action: str,
    now: dt.datetime,
    access: ProjectAccess | None = None,
) -> _Context:
    """404 unless the project is in the actor's org, 403 unless the actor may ``action``.

    ``access`` is the actor's access as the surface's auth already loaded it (with the
    token check, in one query); without it, it is loaded here (one query).
    """
    if access is None or access.project_id != project_id:
        access = await project_access(session, actor, project_id, now)
    if not access.found:
        raise ProjectNotFoundError(f"Failed to find project with ID {project_id}")
    if not Ability(access.rules).can(action, "groups"):
        raise PermissionDeniedError(f"You are not allowed to {action} on groups")
    return _Context(project_id=project_id, actor_rules=access.rules)


def _group_not_found(group_id: uuid.UUID) -> GroupNotFoundError:
    return GroupNotFoundError(f"Failed to find group with ID {group_id}")


def _custom_slugs(slugs: Sequence[str]) -> list[str]:
    return [s for s in slugs if s not in BUILTIN_PROJECT_ROLES]


async def _resolve_roles(
    session: AsyncSession, project_id: uuid.UUID, slugs: Sequence[str]
) -> dict[str, RoleFields | None]:
    custom = await repository.project_roles_by_slug(session, project_id, _custom_slugs(slugs))
    return _resolve_loaded(slugs, custom)


def _resolve_loaded(
    slugs: Sequence[str], custom: Mapping[str, RoleFields]
) -> dict[str, RoleFields | None]:
    """Map each slug to None (built-in) or its custom role; unknown slugs are a 404."""
    resolved: dict[str, RoleFields | None] = {}
    for slug in slugs:
        if slug in BUILTIN_PROJECT_ROLES:
            resolved[slug] = None
        elif slug in custom:
            resolved[slug] = custom[slug]
        else:
            raise RoleNotFoundError(f"Specified role was not found: {slug}")
    return resolved


def _rules_of(role_key: str, role: RoleFields | None) -> list[Rule]:
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
        return relative_bounds(spec.temporary_range, spec.temporary_access_start_time)
    except InvalidWindowError as exc:
        raise InvalidInputError(
            [
                {"code": "custom", "message": p.message, "path": ["roles", index, p.field]}
                for p in exc.problems
            ]
        ) from exc


def _assignment_rows(
    actor: Actor,
    membership: MembershipFields,
    specs: Sequence[ProjectRoleSpec],
    resolved: Mapping[str, RoleFields | None],
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


def audit_roles(
    roles: Sequence[tuple[AssignmentFields, RoleFields | None]],
) -> list[dict[str, Any]]:
    return [
        _audit_role(
            role.slug if role is not None else ra.role_key,
            ra.is_temporary,
            ra.temporary_range,
            ra.starts_at,
            ra.ends_at,
        )
        for ra, role in roles
    ]


def _audit_role(
    slug: str,
    is_temporary: bool,
    temporary_range: str | None,
    starts_at: dt.datetime | None,
    ends_at: dt.datetime | None,
) -> dict[str, Any]:
    return {
        "role": slug,
        "isTemporary": is_temporary,
        "temporaryRange": temporary_range,
        "startsAt": starts_at.isoformat() if starts_at else None,
        "endsAt": ends_at.isoformat() if ends_at else None,
    }


def _audit_rows(rows: Sequence[dict[str, Any]], specs: Sequence[ProjectRoleSpec]) -> list[Any]:
    """The audit form of rows about to be inserted (exactly what the insert stores)."""
    return [
        _audit_role(
            spec.role,
            row["is_temporary"],
            row["temporary_range"],
            row["starts_at"],
            row["ends_at"],
        )
        for row, spec in zip(rows, specs, strict=True)
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
    access: ProjectAccess | None = None,
    before_write: Callable[[GroupMembershipView], None] | None = None,
) -> GroupMembershipView:
    """Endpoint A: replace every Infisical role of a group in a project.

    Four statements after authorization: lock the membership (resolving custom roles),
    delete the current rows (returning them), then insert the new rows with the
    membership touch and the audit event in one statement. A refusal after the delete
    raises, and the transaction rolls back as a whole.

    ``before_write`` sees the current state under the row lock, after every other check
    passed and before anything is written (the API layer compares If-Match there); only
    a request that asks for it pays the extra read of the current rows.
    """
    _reject_duplicates(specs)
    ctx = await _authorize(session, actor, project_id, "edit", now, access)
    slugs = [s.role for s in specs]
    found = await repo.lock_membership_and_roles(
        session, ctx.project_id, group_id, actor.org_id, _custom_slugs(slugs)
    )
    if found is None:
        raise _group_not_found(group_id)
    membership, group = found.membership, found.group
    resolved = _resolve_loaded(slugs, found.custom_roles)
    snapshot = await repo.group_roles(session, membership.id) if before_write else []
    current = await repo.delete_group_roles(session, membership.id)
    requested = [r for slug, role in resolved.items() for r in _rules_of(slug, role)]
    held = [r for h in current for r in role_rules(h.role_key, h.permissions)]
    _check_boundary(
        ctx.actor_rules,
        requested + held,
        "Failed to update group roles: you cannot grant or take away permissions you do not hold",
    )
    if not any(not spec.is_temporary for spec in specs):
        raise BadRequestError("Group must have at least one permanent role")
    rows = _assignment_rows(actor, membership, specs, resolved, now)
    if before_write is not None:
        before_write(GroupMembershipView(membership=membership, group=group, roles=snapshot))
    audit = repository.audit_params(
        actor=actor,
        action="project-group.roles.update",
        target_type="project-group-membership",
        target_id=membership.id,
        before={
            "projectId": str(ctx.project_id),
            "groupId": str(group.id),
            "roles": [
                _audit_role(
                    h.role_slug or h.role_key,
                    h.is_temporary,
                    h.temporary_range,
                    h.starts_at,
                    h.ends_at,
                )
                for h in current
            ],
        },
        after={
            "projectId": str(ctx.project_id),
            "groupId": str(group.id),
            "roles": _audit_rows(rows, specs),
        },
    )
    stored = await repo.insert_group_roles(
        session,
        org_id=actor.org_id,
        membership_id=membership.id,
        actor=actor.audit_id,
        rows=rows,
        now=now,
        audit=audit,
    )
    after = [(ra, resolved[spec.role]) for ra, spec in zip(stored, specs, strict=True)]
    # The insert statement touched the membership's updated_at too.
    touched = dataclasses.replace(membership, updated_at=now)
    return GroupMembershipView(membership=touched, group=group, roles=after)


async def resolve_group(session: AsyncSession, actor: Actor, id_or_name: str) -> GroupFields:
    """A group of the actor's org by id or, for anything that is not a UUID, by name.

    Infisical's Terraform provider puts the group's name in the path when it has no id.
    Names are not unique in an org; an ambiguous name is refused rather than guessed.
    """
    try:
        group_id = uuid.UUID(id_or_name)
    except ValueError:
        named = await repository.groups_named(session, id_or_name, actor.org_id)
        if not named and "+" in id_or_name:
            # Terraform escapes the name with Go's url.QueryEscape, which writes a space
            # as "+", and a path does not decode "+"; without this a name with a space
            # could never be found.
            spaced = id_or_name.replace("+", " ")
            named = await repository.groups_named(session, spaced, actor.org_id)
        if not named:
            raise GroupNotFoundError(f"Failed to find group with name {id_or_name}") from None
        if len(named) > 1:
            raise BadRequestError(
                f"More than one group is named {id_or_name}; use the group's ID instead"
            ) from None
        return named[0]
    group = await repository.get_group(session, group_id, actor.org_id)
    if group is None:
        raise _group_not_found(group_id)
    return group


async def add_group_to_project(
    session: AsyncSession,
    actor: Actor,
    *,
    project_id: uuid.UUID,
    group: str | uuid.UUID,
    specs: Sequence[ProjectRoleSpec],
    now: dt.datetime,
    access: ProjectAccess | None = None,
) -> GroupMembershipView:
    """Add a group to a project with the roles given (Infisical's ``roles``, or ``role``).

    The same rules as a PATCH apply to the roles: no role twice, each resolves, every
    window is valid, at least one is permanent, and the actor holds what it grants.
    """
    _reject_duplicates(specs)
    ctx = await _authorize(session, actor, project_id, "create", now, access)
    found = await resolve_group(session, actor, str(group))
    slugs = [spec.role for spec in specs]
    resolved = await _resolve_roles(session, ctx.project_id, slugs)
    _check_boundary(
        ctx.actor_rules,
        [r for slug, role in resolved.items() for r in _rules_of(slug, role)],
        "Failed to add group to project: you cannot grant permissions you do not hold",
    )
    if not any(not spec.is_temporary for spec in specs):
        raise BadRequestError("Group must have at least one permanent role")
    membership = await repo.insert_group_membership(session, ctx.project_id, found.id, now)
    if membership is None:
        raise ConflictError(
            f"Group with name {found.name} already exists in project with id {ctx.project_id}"
        )
    rows = _assignment_rows(actor, membership, specs, resolved, now)
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
            "projectId": str(ctx.project_id),
            "groupId": str(found.id),
            "roles": audit_roles(after),
        },
    )
    return GroupMembershipView(membership=membership, group=found, roles=after)


async def get_group_membership(
    session: AsyncSession,
    actor: Actor,
    *,
    project_id: uuid.UUID,
    group_id: uuid.UUID,
    now: dt.datetime,
    access: ProjectAccess | None = None,
) -> GroupMembershipView:
    ctx = await _authorize(session, actor, project_id, "read", now, access)
    view = await repo.group_membership(session, ctx.project_id, actor.org_id, group_id)
    if view is None:
        raise _group_not_found(group_id)
    return view


async def list_group_memberships(
    session: AsyncSession,
    actor: Actor,
    *,
    project_id: uuid.UUID,
    now: dt.datetime,
    access: ProjectAccess | None = None,
) -> list[GroupMembershipView]:
    ctx = await _authorize(session, actor, project_id, "read", now, access)
    return await repo.group_memberships(session, ctx.project_id, actor.org_id)


async def remove_group_from_project(
    session: AsyncSession,
    actor: Actor,
    *,
    project_id: uuid.UUID,
    group_id: uuid.UUID,
    now: dt.datetime,
    access: ProjectAccess | None = None,
) -> GroupMembershipView:
    ctx = await _authorize(session, actor, project_id, "delete", now, access)
    found = await repo.lock_group_membership(session, ctx.project_id, group_id, actor.org_id)
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
            "projectId": str(ctx.project_id),
            "groupId": str(group.id),
            "roles": audit_roles(current),
        },
        after=None,
    )
    return GroupMembershipView(membership=membership, group=group, roles=current)

"""Additional privileges of machine identities (Infisical endpoint B and its siblings).

A privilege is a set of permission rules attached directly to an identity's project
membership, optionally inside a time window. Writes lock the membership row (the parent
of every privilege of that identity in that project), check in the contract's order —
project, identity membership, privilege, permission on ``identity``, boundary — and write
an audit event in the same transaction.

The boundary is condition-aware: the actor must hold every permission the identity holds
now plus every rule being granted (``missing_permissions``), so a rule the actor holds only
for ``environment=dev`` cannot be handed out for ``prod``, and an actor cannot edit the
privileges of an identity more powerful than itself.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
import string
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac import repository, windows
from rolegate.rbac.actors import Actor
from rolegate.rbac.errors import (
    ConflictError,
    IdentityNotFoundError,
    InvalidInputError,
    PermissionBoundaryError,
    PermissionDeniedError,
    PrivilegeNotFoundError,
    ProjectNotFoundError,
)
from rolegate.rbac.evaluation import actor_project_rules, flatten, project_rules
from rolegate.rbac.infisical import privileges_repository as repo
from rolegate.rbac.infisical.views import PrivilegeFields
from rolegate.rbac.models import AdditionalPrivilege, Identity, Project, ProjectMembership
from rolegate.rbac.permissions.boundary import missing_permissions
from rolegate.rbac.permissions.rules import Ability, Rule, rules_from_json, rules_to_json
from rolegate.rbac.windows import InvalidWindowError, TemporaryWindow

SUBJECT = "identity"
_SLUG_ALPHABET = string.ascii_lowercase + string.digits
PathPrefix = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class PrivilegeTarget:
    """Whose privileges: an identity in a project named by its slug (as Infisical does)."""

    project_slug: str
    identity_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class PrivilegeChanges:
    """A partial update: ``None`` means "leave as it is"."""

    slug: str | None = None
    rules: Sequence[Rule] | None = None
    window: TemporaryWindow | None = None


@dataclass(slots=True)
class _Located:
    project: Project
    membership: ProjectMembership
    identity: Identity


def window_columns(window: TemporaryWindow, path: PathPrefix) -> dict[str, Any]:
    """The stored columns of a window, its problems reported at ``path`` on the wire."""
    try:
        return windows.window_columns(window)
    except InvalidWindowError as exc:
        raise InvalidInputError([_issue(path, p.field, p.message) for p in exc.problems]) from exc


def _issue(path: PathPrefix, field: str, message: str) -> dict[str, Any]:
    return {"code": "custom", "message": message, "path": [*path, field]}


def snapshot(privilege: PrivilegeFields) -> dict[str, Any]:
    """What an audit event records of a privilege."""
    return {
        "slug": privilege.slug,
        "permissions": privilege.permissions,
        "isTemporary": privilege.is_temporary,
        "temporaryRange": privilege.temporary_range,
        "startsAt": privilege.starts_at.isoformat() if privilege.starts_at else None,
        "endsAt": privilege.ends_at.isoformat() if privilege.ends_at else None,
    }


def generated_slug() -> str:
    # Infisical names an unnamed privilege with a 12-character lowercase nanoid.
    return "".join(secrets.choice(_SLUG_ALPHABET) for _ in range(12))


async def _locate(
    session: AsyncSession, actor: Actor, target: PrivilegeTarget, *, lock: bool
) -> _Located:
    project = await repository.get_project_by_slug(session, target.project_slug, actor.org_id)
    if project is None:
        raise ProjectNotFoundError(f"Project with slug {target.project_slug} not found")
    found = await repo.identity_membership(
        session, project.id, target.identity_id, actor.org_id, lock=lock
    )
    if found is None:
        raise IdentityNotFoundError(f"Failed to find identity with id {target.identity_id}")
    membership, identity = found
    return _Located(project=project, membership=membership, identity=identity)


async def _find(
    session: AsyncSession, located: _Located, slug: str, target: PrivilegeTarget
) -> AdditionalPrivilege:
    privilege = await repo.get_privilege(session, located.membership.id, slug)
    if privilege is None:
        raise _privilege_not_found(slug, target)
    return privilege


def _privilege_not_found(slug: str, target: PrivilegeTarget) -> PrivilegeNotFoundError:
    return PrivilegeNotFoundError(
        f"Identity additional privilege with slug '{slug}' not found for the specified"
        f" identity with ID '{target.identity_id}'"
    )


async def _authorize(
    session: AsyncSession, actor: Actor, located: _Located, action: str, now: dt.datetime
) -> list[Rule]:
    rules = await actor_project_rules(session, actor, located.project.id, now)
    _require(rules, action, located.identity.id)
    return rules


async def _check_boundary(
    session: AsyncSession,
    actor_rules: list[Rule],
    located: _Located,
    granted: Sequence[Rule],
    message: str,
    now: dt.datetime,
) -> None:
    current = await project_rules(
        session,
        kind="identity",
        principal_id=located.identity.id,
        project_id=located.project.id,
        now=now,
    )
    missing = missing_permissions(actor_rules, [*current, *granted])
    if missing:
        raise PermissionBoundaryError(message, missing)


async def _audit(
    session: AsyncSession,
    actor: Actor,
    action: str,
    located: _Located,
    privilege_id: uuid.UUID,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    where = {"projectId": str(located.project.id), "identityId": str(located.identity.id)}
    await repository.record_audit(
        session,
        actor=actor,
        action=action,
        target_type="identity-privilege",
        target_id=privilege_id,
        before={**where, **before} if before is not None else None,
        after={**where, **after} if after is not None else None,
    )


async def create_privilege(
    session: AsyncSession,
    actor: Actor,
    *,
    target: PrivilegeTarget,
    slug: str | None,
    rules: Sequence[Rule],
    window: TemporaryWindow,
    now: dt.datetime,
    window_path: PathPrefix = (),
) -> AdditionalPrivilege:
    columns = window_columns(window, window_path)
    located = await _locate(session, actor, target, lock=True)
    actor_rules = await _authorize(session, actor, located, "create", now)
    await _check_boundary(
        session, actor_rules, located, rules, "Failed to update more privileged identity", now
    )
    chosen = slug or generated_slug()
    privilege = await repo.insert_privilege(
        session,
        {
            "id": uuid.uuid4(),
            "project_membership_id": located.membership.id,
            "slug": chosen,
            "permissions": rules_to_json(rules),
            "created_at": now,
            "updated_at": now,
            **columns,
        },
    )
    if privilege is None:
        raise ConflictError(f"Privilege with slug {chosen} already exists")
    await _audit(
        session,
        actor,
        "identity-privilege.create",
        located,
        privilege.id,
        None,
        snapshot(privilege),
    )
    return privilege


async def update_privilege(
    session: AsyncSession,
    actor: Actor,
    *,
    target: PrivilegeTarget,
    privilege_slug: str,
    changes: PrivilegeChanges,
    now: dt.datetime,
    before_write: Callable[[PrivilegeFields], None] | None = None,
) -> PrivilegeFields:
    """Endpoint B: change only what ``changes`` names; everything else stays.

    Two statements: lock the privilege with its membership (reading the actor's rules),
    then write it with the audit event (reading the identity's current rules). The checks
    that need those rules, the slug's uniqueness and ``before_write`` come after the
    write, in the contract's order; a refusal raises and the transaction rolls back with
    the write in it, so a refused request changes nothing, as before.

    ``before_write`` sees the current privilege under the row locks, after every other
    check passed (the API layer compares If-Match there).
    """
    columns = (
        window_columns(changes.window, ("privilegeDetails",)) if changes.window is not None else {}
    )
    locked = await repo.lock_privilege(
        session,
        actor_kind=actor.kind,
        actor_id=actor.id,
        org_id=actor.org_id,
        project_slug=target.project_slug,
        identity_id=target.identity_id,
        privilege_slug=privilege_slug,
        now=now,
    )
    if locked is None:
        raise await _missing(session, actor, target, privilege_slug)
    actor_rules = flatten(locked.actor_sources)
    _require(actor_rules, "edit", target.identity_id)
    current = locked.privilege
    if changes.slug is not None:
        columns["slug"] = changes.slug
    if changes.rules is not None:
        columns["permissions"] = rules_to_json(changes.rules)
    # The whole row is written back: it is locked, so what the body leaves out is still
    # what was just read.
    after = dataclasses.replace(current, **columns, updated_at=now)
    where = {"projectId": str(locked.project_id), "identityId": str(target.identity_id)}
    written = await repo.write_privilege(
        session,
        privilege=after,
        project_id=locked.project_id,
        identity_id=target.identity_id,
        now=now,
        audit=repository.audit_params(
            actor=actor,
            action="identity-privilege.update",
            target_type="identity-privilege",
            target_id=current.id,
            before={**where, **snapshot(current)},
            after={**where, **snapshot(after)},
        ),
    )
    granted = (
        list(changes.rules) if changes.rules is not None else rules_from_json(current.permissions)
    )
    missing = missing_permissions(actor_rules, [*flatten(written.held_sources), *granted])
    if missing:
        raise PermissionBoundaryError("Failed to update more privileged identity", missing)
    if written.stored is None:
        raise ConflictError(f"Privilege with slug {after.slug} already exists")
    if before_write is not None:
        before_write(current)
    return written.stored


async def _missing(
    session: AsyncSession, actor: Actor, target: PrivilegeTarget, privilege_slug: str
) -> Exception:
    """Which of project, identity membership and privilege is not there (in that order)."""
    try:
        await _locate(session, actor, target, lock=False)
    except (ProjectNotFoundError, IdentityNotFoundError) as missing:
        return missing
    return _privilege_not_found(privilege_slug, target)


def _require(rules: list[Rule], action: str, identity_id: uuid.UUID) -> None:
    if not Ability(rules).can(action, SUBJECT, {"identityId": str(identity_id)}):
        raise PermissionDeniedError(f"You are not allowed to {action} on {SUBJECT}")


async def get_privilege(
    session: AsyncSession,
    actor: Actor,
    *,
    target: PrivilegeTarget,
    privilege_slug: str,
    now: dt.datetime,
) -> AdditionalPrivilege:
    located = await _locate(session, actor, target, lock=False)
    privilege = await _find(session, located, privilege_slug, target)
    await _authorize(session, actor, located, "read", now)
    return privilege


async def list_privileges(
    session: AsyncSession, actor: Actor, *, target: PrivilegeTarget, now: dt.datetime
) -> list[AdditionalPrivilege]:
    located = await _locate(session, actor, target, lock=False)
    await _authorize(session, actor, located, "read", now)
    return await repo.list_privileges(session, located.membership.id)


async def delete_privilege(
    session: AsyncSession,
    actor: Actor,
    *,
    target: PrivilegeTarget,
    privilege_slug: str,
    now: dt.datetime,
) -> AdditionalPrivilege:
    located = await _locate(session, actor, target, lock=True)
    privilege = await _find(session, located, privilege_slug, target)
    actor_rules = await _authorize(session, actor, located, "delete", now)
    # Deleting takes permissions away: only an actor holding them may do that.
    await _check_boundary(
        session,
        actor_rules,
        located,
        [],
        "Failed to delete privilege of more privileged identity",
        now,
    )
    await repo.delete_privilege(session, privilege.id)
    await _audit(
        session,
        actor,
        "identity-privilege.delete",
        located,
        privilege.id,
        snapshot(privilege),
        None,
    )
    return privilege

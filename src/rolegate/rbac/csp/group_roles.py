"""CSP group roles (endpoint D and its siblings): the rules, once.

A group's CSP roles come in three sections: organization roles (the fixed catalogue),
the org's custom roles and, per service definition, the roles it declares. A PATCH adds,
removes and updates roles by name within a section. The request is planned in full
(``csp_role_changes``) before the first write; the plan is then applied under a row lock
on the group, so concurrent PATCHes serialize and none is lost. What a read shows is
built in ``csp_role_views``.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac import org_boundary, repository
from rolegate.rbac.actors import Actor
from rolegate.rbac.catalogue import IAM_ADMIN_ROLES
from rolegate.rbac.csp import group_roles_repository as rows_repo
from rolegate.rbac.csp import groups_repository as repo
from rolegate.rbac.csp.access import (
    GROUP_NOT_FOUND,
    OWNER_ONLY,
    authorize,
    authorize_principal,
    parse_id,
)
from rolegate.rbac.csp.auth import CspPrincipal
from rolegate.rbac.csp.role_changes import (
    BindingSpec,
    GroupRef,
    GroupRolesUpdate,
    Path,
    SectionUpdate,
    catalogue_wanted,
    check_names_once,
    org_roles_named,
    plan_changes,
    resolve_sections,
)
from rolegate.rbac.csp.role_views import (
    GroupRolesView,
    Kind,
    RoleView,
    active_view,
    audit_roles,
    is_active,
    rows_after,
    view_of,
)
from rolegate.rbac.errors import GroupNotFoundError

# The types the API layer builds requests from and renders views of.
__all__ = [
    "BindingSpec",
    "GroupRolesUpdate",
    "GroupRolesView",
    "Kind",
    "Path",
    "RoleView",
    "SectionUpdate",
    "active_view",
    "get_group_roles",
    "update_group_roles",
]

log = logging.getLogger("rolegate.csp")

# The seed doc: groups above this size get no e-mail about their role changes.
NOTIFY_MAX_MEMBERS = 1000


# --- operations -----------------------------------------------------------------------


async def update_group_roles(
    session: AsyncSession,
    principal: CspPrincipal,
    *,
    org_id: str,
    group_id: str,
    update: GroupRolesUpdate,
    now: dt.datetime,
    before_write: Callable[[GroupRolesView], None] | None = None,
) -> GroupRolesView:
    """Endpoint D. Writes nothing unless every part of the request is acceptable.

    Returns the group's active roles afterwards (what its GET shows). ``before_write``
    sees the active roles before the change, under the group's row lock, after every
    check passed and before anything is written (the API layer compares If-Match there).

    Statements: the principal and its org roles came with the token (one statement); then
    the group lock with the roles the request names, the group's rows, and one write.
    """
    actor = principal.actor
    org_uuid = parse_id(org_id)
    await authorize_principal(
        session, principal, org_uuid, OWNER_ONLY, "update the roles of a group"
    )
    assert org_uuid is not None  # noqa: S101 - authorize_principal refused anything else
    for sec in update.sections:
        check_names_once(sec)
    org_boundary.require_within(
        org_boundary.fixed(principal.org_roles), org_roles_named(update.sections), "grant or remove"
    )
    group_uuid = parse_id(group_id)
    custom_names, service_ids = catalogue_wanted(update.sections)
    group = (
        await rows_repo.lock_group(
            session,
            org_id=org_uuid,
            group_id=group_uuid,
            custom_names=sorted(custom_names),
            service_ids=sorted(service_ids),
        )
        if group_uuid
        else None
    )
    if group is None:
        raise GroupNotFoundError(GROUP_NOT_FOUND)
    resolved = resolve_sections(update.sections, group.catalogue)
    current = await rows_repo.group_rows(session, group.id)
    before = view_of([ra for ra in current if is_active(ra, now)])
    plan = plan_changes(
        actor, GroupRef(id=group.id, org_id=org_uuid), update.sections, resolved, current, now
    )
    if before_write is not None:
        before_write(before)

    # Every check has passed: from here on, only the write (one statement).
    deletes = set(plan.deletes)
    updates = [{**values, "id": ra_id} for ra_id, values in plan.updates if ra_id not in deletes]
    after = view_of(rows_after(current, deletes, updates, plan.inserts, now))
    notifications = None
    if update.notify_users and plan.changes:
        notifications = _notifications(principal.org_name, group.name, plan.changes)
    written = await rows_repo.write(
        session,
        org_id=org_uuid,
        group_id=group.id,
        actor=actor.audit_id,
        now=now,
        deletes=sorted(deletes),
        updates=updates,
        inserts=plan.inserts,
        audit=repository.audit_params(
            actor=actor,
            action="csp.group.roles.update",
            target_type="group",
            target_id=group.id,
            before=audit_roles(before),
            after=audit_roles(after),
        ),
        notifications=notifications,
    )
    if notifications is not None:
        _log_notified(group.id, written)
    return after


def _notifications(org_name: str, group_name: str, changes: list[str]) -> rows_repo.Notifications:
    subject = f"[{org_name}] The roles of your group {group_name} changed"
    bodies = [
        f"{change} for the group {group_name} in the organization {org_name}.\n"
        "As a member of this group, your access changes with it.\n"
        for change in changes
    ]
    return rows_repo.Notifications(
        subjects=[subject] * len(bodies), bodies=bodies, max_members=NOTIFY_MAX_MEMBERS
    )


def _log_notified(group_id: uuid.UUID, written: rows_repo.Written) -> None:
    if written.members > NOTIFY_MAX_MEMBERS:
        log.info(
            "group %s has %d members (more than %d): no role-change notifications",
            group_id,
            written.members,
            NOTIFY_MAX_MEMBERS,
        )
        return
    log.info("queued %d role-change notifications for group %s", written.queued, group_id)


async def get_group_roles(
    session: AsyncSession, actor: Actor, *, org_id: str, group_id: str, now: dt.datetime
) -> GroupRolesView:
    org = await authorize(
        session, actor, parse_id(org_id), IAM_ADMIN_ROLES, "read the roles of a group", now
    )
    group_uuid = parse_id(group_id)
    found = await repo.get_group_row(session, group_uuid, org.id) if group_uuid else None
    if found is None:
        raise GroupNotFoundError(GROUP_NOT_FOUND)
    return await active_view(session, found.group.id, now)

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
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac import csp_group_roles_repository as repo
from rolegate.rbac import outbox, repository
from rolegate.rbac.actors import Actor
from rolegate.rbac.catalogue import IAM_ADMIN_ROLES
from rolegate.rbac.csp_access import GROUP_NOT_FOUND, OWNER_ONLY, authorize, parse_id
from rolegate.rbac.csp_role_changes import (
    BindingSpec,
    GroupRolesUpdate,
    Path,
    SectionUpdate,
    check_names_once,
    plan_changes,
    resolve_sections,
)
from rolegate.rbac.csp_role_views import (
    GroupRolesView,
    Kind,
    RoleView,
    active_view,
    audit_roles,
    is_active,
    view_of,
)
from rolegate.rbac.errors import GroupNotFoundError
from rolegate.rbac.models import Group, Organization

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
    actor: Actor,
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
    """
    org = await authorize(
        session, actor, parse_id(org_id), OWNER_ONLY, "update the roles of a group", now
    )
    for sec in update.sections:
        check_names_once(sec)
    group_uuid = parse_id(group_id)
    group = await repository.lock_group(session, group_uuid, org.id) if group_uuid else None
    if group is None:
        raise GroupNotFoundError(GROUP_NOT_FOUND)
    resolved = await resolve_sections(session, org, update.sections)
    current = await repo.group_assignments(session, group.id)
    before = view_of([(ra, role) for ra, role in current if is_active(ra, now)])
    plan = plan_changes(actor, group, update.sections, resolved, current, now)
    if before_write is not None:
        before_write(before)

    # Every check has passed: from here on, only writes.
    await repo.delete_assignments(session, sorted(set(plan.deletes)))
    for assignment_id, values in plan.updates:
        await repo.update_assignment(session, assignment_id, values)
    await repo.insert_assignments(session, plan.inserts)
    await repo.touch_group(session, group.id, now)
    after = await active_view(session, group.id, now)
    await repository.record_audit(
        session,
        actor=actor,
        action="csp.group.roles.update",
        target_type="group",
        target_id=group.id,
        before=audit_roles(before),
        after=audit_roles(after),
    )
    if update.notify_users and plan.changes:
        await _notify(session, org, group, plan.changes)
    return after


async def _notify(
    session: AsyncSession, org: Organization, group: Group, changes: list[str]
) -> None:
    members = await repo.member_count(session, group.id)
    if members > NOTIFY_MAX_MEMBERS:
        log.info(
            "group %s has %d members (more than %d): no role-change notifications",
            group.id,
            members,
            NOTIFY_MAX_MEMBERS,
        )
        return
    subject = f"[{org.name}] The roles of your group {group.name} changed"
    notes = [
        outbox.Notification(
            subject=subject,
            body=(
                f"{change} for the group {group.name} in the organization {org.name}.\n"
                "As a member of this group, your access changes with it.\n"
            ),
        )
        for change in changes
    ]
    written = await outbox.enqueue_for_group_members(
        session, org_id=org.id, group_id=group.id, notifications=notes
    )
    log.info("queued %d role-change notifications for group %s", written, group.id)


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

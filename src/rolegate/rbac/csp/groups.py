"""CSP groups of an org: read one, list them (paged), create one."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac import repository
from rolegate.rbac.actors import Actor
from rolegate.rbac.catalogue import IAM_ADMIN_ROLES
from rolegate.rbac.csp import groups_repository as repo
from rolegate.rbac.csp.access import GROUP_NOT_FOUND, OWNER_ONLY, authorize, parse_id
from rolegate.rbac.csp.group_roles import GroupRolesView, active_view
from rolegate.rbac.csp.views import GroupRow
from rolegate.rbac.errors import ConflictError, GroupNotFoundError
from rolegate.rbac.models import Group, Organization


@dataclass(frozen=True, slots=True)
class GroupView:
    org: Organization
    group: Group
    users_count: int
    roles: GroupRolesView


async def get_group(
    session: AsyncSession, actor: Actor, *, org_id: str, group_id: str, now: dt.datetime
) -> GroupView:
    org = await authorize(session, actor, parse_id(org_id), IAM_ADMIN_ROLES, "read a group", now)
    group_uuid = parse_id(group_id)
    found = await repo.get_group_row(session, group_uuid, org.id) if group_uuid else None
    if found is None:
        raise GroupNotFoundError(GROUP_NOT_FOUND)
    roles = await active_view(session, found.group.id, now)
    return GroupView(org=org, group=found.group, users_count=found.users_count, roles=roles)


@dataclass(frozen=True, slots=True)
class GroupPage:
    groups: list[GroupRow]
    total: int
    org: Organization


async def list_groups(
    session: AsyncSession,
    actor: Actor,
    *,
    org_id: str,
    offset: int,
    limit: int,
    now: dt.datetime,
) -> GroupPage:
    org = await authorize(session, actor, parse_id(org_id), IAM_ADMIN_ROLES, "list the groups", now)
    rows, total = await repo.list_groups(session, org.id, offset=offset, limit=limit)
    return GroupPage(groups=rows, total=total, org=org)


def slugify(name: str) -> str:
    out, dash = [], False
    for ch in name.lower():
        if ch.isascii() and ch.isalnum():
            out.append(ch)
            dash = False
        elif not dash and out:
            out.append("-")
            dash = True
    return "".join(out).strip("-")[:200] or "group"


def _name_taken(name: str) -> ConflictError:
    return ConflictError(f"A group named '{name}' already exists in this organization.")


async def create_group(
    session: AsyncSession,
    actor: Actor,
    *,
    org_id: str,
    display_name: str,
    description: str,
    now: dt.datetime,
) -> GroupView:
    org = await authorize(session, actor, parse_id(org_id), OWNER_ONLY, "create a group", now)
    if await repo.group_name_taken(session, org.id, display_name):
        raise _name_taken(display_name)
    base = slugify(display_name)
    group: Group | None = None
    for attempt in range(1, 100):
        slug = base if attempt == 1 else f"{base}-{attempt}"
        group = await repo.insert_group(
            session,
            org_id=org.id,
            name=display_name,
            slug=slug,
            description=description,
            now=now,
        )
        if group is not None:
            break
        # A concurrent create of the name committed first (the unique index of the
        # names CSP groups claim), or only the slug is another group's.
        if await repo.group_name_taken(session, org.id, display_name):
            raise _name_taken(display_name)
    if group is None:
        raise ConflictError(f"Could not find a free slug for the group '{display_name}'.")
    await repository.record_audit(
        session,
        actor=actor,
        action="csp.group.create",
        target_type="group",
        target_id=group.id,
        before=None,
        after={"displayName": group.name, "description": group.description, "slug": group.slug},
    )
    return GroupView(
        org=org,
        group=group,
        users_count=0,
        roles=GroupRolesView(organization=[], custom=[], service={}),
    )

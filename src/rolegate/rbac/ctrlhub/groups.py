"""ctrl-hub role groups: reading, creating, members and deleting (E's siblings).

A role group is a ``groups`` row; its bindings are ``role_assignments`` rows of the group
with surface ``ctrlhub``, kind ``binding`` and a condition. Writers lock the group row
(``SELECT ... FOR UPDATE``), so concurrent writes serialize and the stored bindings are
always exactly one submitted list. Rows that other surfaces made for the group (CSP
roles, Infisical project roles) are never touched here. Endpoint E, the PATCH, is
:mod:`rolegate.rbac.ctrlhub.group_update`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac import org_boundary, org_grants, repository
from rolegate.rbac.actors import Actor
from rolegate.rbac.catalogue import ORG_ROLES
from rolegate.rbac.ctrlhub import groups_repository as repo
from rolegate.rbac.ctrlhub.access import OrgAccess, org_access, require_iam_admin
from rolegate.rbac.ctrlhub.bindings import binding_rows, custom_names
from rolegate.rbac.ctrlhub.views import (
    BindingSpec,
    CatalogueRole,
    GroupFields,
    GroupsPage,
    GroupView,
    MembersPage,
    MemberView,
    audit_state,
    binding_view,
)
from rolegate.rbac.errors import (
    ConflictError,
    GroupNotFoundError,
    InvalidInputError,
    NotFoundError,
)
from rolegate.rbac.models import Group
from rolegate.rbac.org_grants import OrgGrant
from rolegate.rbac.permissions.conditions import UNCONDITIONAL

MAX_SLUG_ATTEMPTS = 50


# --- authorization -------------------------------------------------------------------


async def authorize(
    session: AsyncSession,
    actor: Actor,
    org_id: uuid.UUID,
    now: dt.datetime,
    access: OrgAccess | None = None,
) -> OrgAccess:
    """The org exists (404), the actor is in it (403) and administers its IAM (403).

    ``access`` is what the surface's auth loaded with the token check (one query); without
    it (or for another org), it is read here. Returns it: what the actor holds, for the
    org boundary.
    """
    if access is None or access.org_id != org_id:
        access = await org_access(session, actor, org_id, now)
    require_iam_admin(access)
    return access


def _bound(role: str, condition: Mapping[str, Any] | None) -> tuple[OrgGrant, str]:
    """A binding as the boundary compares it: its role and its condition (canonical)."""
    # Custom roles never take a fixed role's name (the catalogue hides such names).
    grant = OrgGrant(name=role, builtin=role in ORG_ROLES)
    return grant, json.dumps(condition or UNCONDITIONAL, sort_keys=True)


def require_grantable(
    access: OrgAccess,
    specs: Sequence[BindingSpec],
    before: Iterable[tuple[str, Mapping[str, Any] | None]] = (),
) -> None:
    """The bindings a write adds or removes (``before`` -> ``specs``, by role and
    condition) name only roles the actor holds; bindings sent again unchanged are free."""
    org_boundary.require_within(
        org_boundary.fixed(access.catalogue_roles),
        org_boundary.changed(
            (_bound(role, condition) for role, condition in before),
            (_bound(spec.role, spec.condition) for spec in specs),
        ),
        "grant or remove",
    )


async def require_group_within(
    session: AsyncSession, access: OrgAccess, group: Group, action: str, now: dt.datetime
) -> None:
    """Every org role the group gives its members (any surface) is one the actor holds."""
    roles = await org_grants.group_roles(session, group.id, now)
    org_boundary.require_within(org_boundary.fixed(access.catalogue_roles), roles, action)


def group_not_found(group_id: uuid.UUID) -> GroupNotFoundError:
    return GroupNotFoundError(f"Group {group_id} not found")


async def authorize_iam_admin(
    session: AsyncSession, actor: Actor, org_id: uuid.UUID, now: dt.datetime
) -> None:
    """The check every ctrl-hub route makes, for the binding explanations to reuse."""
    await authorize(session, actor, org_id, now)


# --- reading -------------------------------------------------------------------------


async def _views(
    session: AsyncSession,
    org_id: uuid.UUID,
    groups: Sequence[GroupFields],
    now: dt.datetime,
    bindings: Mapping[uuid.UUID, Sequence[repo.BindingRow]] | None = None,
) -> list[GroupView]:
    ids = [g.id for g in groups]
    if bindings is None:
        bindings = await repo.binding_rows_of(session, ids)
    members = await repo.member_rows_of(session, ids)
    users = list({u.id: u for us in members.values() for u in us}.values())
    grants = await org_grants.effective_grants(session, org_id, users, now)
    return [
        GroupView(
            group=g,
            bindings=[
                binding_view(b.id, b.role_key, b.role_name, b.condition) for b in bindings[g.id]
            ],
            members=[
                MemberView(user=u, grants=[x.name for x in grants[u.id]]) for u in members[g.id]
            ],
        )
        for g in groups
    ]


async def _view(session: AsyncSession, group: Group, now: dt.datetime) -> GroupView:
    return (await _views(session, group.org_id, [group], now))[0]


async def get_group(
    session: AsyncSession,
    actor: Actor,
    *,
    org_id: uuid.UUID,
    group_id: uuid.UUID,
    now: dt.datetime,
    access: OrgAccess | None = None,
) -> GroupView:
    await authorize(session, actor, org_id, now, access)
    found = await repo.group_with_bindings(session, group_id, org_id)
    if found is None:
        raise group_not_found(group_id)
    group, bindings = found
    return (await _views(session, org_id, [group], now, {group.id: bindings}))[0]


async def list_groups(
    session: AsyncSession,
    actor: Actor,
    *,
    org_id: uuid.UUID,
    now: dt.datetime,
    offset: int,
    limit: int,
    access: OrgAccess | None = None,
) -> GroupsPage:
    """One page of the org's groups, each with its bindings and members."""
    await authorize(session, actor, org_id, now, access)
    groups, total = await repo.groups_page(session, org_id, offset=offset, limit=limit)
    return GroupsPage(
        groups=await _views(session, org_id, groups, now),
        total=total,
        offset=offset,
        limit=limit,
    )


async def list_org_members(
    session: AsyncSession,
    actor: Actor,
    *,
    org_id: uuid.UUID,
    offset: int,
    limit: int,
    now: dt.datetime,
    access: OrgAccess | None = None,
) -> MembersPage:
    """The org's users with their effective grants; the same authority as its groups."""
    await authorize(session, actor, org_id, now, access)
    users, total = await repo.org_users_page(session, org_id, offset=offset, limit=limit)
    grants = await org_grants.effective_grants(session, org_id, users, now)
    return MembersPage(
        members=[MemberView(user=u, grants=[g.name for g in grants[u.id]]) for u in users],
        total=total,
        offset=offset,
        limit=limit,
    )


async def role_catalogue(
    session: AsyncSession, actor: Actor, *, now: dt.datetime
) -> list[CatalogueRole]:
    """The roles a binding may name in the actor's org: the fixed ones, then custom ones."""
    fixed = [
        CatalogueRole(id=name, name=name, description=title, custom=False)
        for name, title in ORG_ROLES.items()
    ]
    custom = [
        CatalogueRole(id=str(r.id), name=r.name, description=r.description, custom=True)
        for r in await repo.org_custom_roles(session, actor.org_id)
        if r.name not in ORG_ROLES
    ]
    return fixed + custom


# --- writing -------------------------------------------------------------------------


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:200] or "group"


async def create_group(
    session: AsyncSession,
    actor: Actor,
    *,
    org_id: uuid.UUID,
    name: str,
    description: str,
    bindings: Sequence[BindingSpec],
    group_id: uuid.UUID | None,
    now: dt.datetime,
    access: OrgAccess | None = None,
) -> GroupView:
    access = await authorize(session, actor, org_id, now, access)
    require_grantable(access, bindings)
    new_id = group_id or uuid.uuid4()
    if group_id is not None and await repo.group_id_taken(session, group_id):
        raise ConflictError(f"A group with id {group_id} already exists")
    base = slugify(name)
    group = None
    # The slug (used by the Infisical surface) must be unique in the org; names need not be.
    for attempt in range(1, MAX_SLUG_ATTEMPTS + 1):
        slug = base if attempt == 1 else f"{base}-{attempt}"
        group = await repo.insert_group(
            session,
            group_id=new_id,
            org_id=org_id,
            name=name,
            slug=slug,
            description=description,
            now=now,
        )
        if group is not None:
            break
        if await repo.group_id_taken(session, new_id):
            raise ConflictError(f"A group with id {new_id} already exists")
    if group is None:
        raise ConflictError(f"Too many groups are named like '{name}'")
    custom = await repo.org_roles_by_name(session, org_id, custom_names(bindings))
    rows = binding_rows(
        actor,
        org_id=group.org_id,
        group_id=group.id,
        specs=bindings,
        custom=custom,
        existing=[],
        now=now,
    )
    await repo.replace_bindings(session, group.id, rows)
    view = await _view(session, group, now)
    await repository.record_audit(
        session,
        actor=actor,
        action="ctrlhub.group.create",
        target_type="group",
        target_id=group.id,
        before=None,
        after=audit_state(view),
    )
    return view


async def _locked(
    session: AsyncSession,
    actor: Actor,
    org_id: uuid.UUID,
    group_id: uuid.UUID,
    now: dt.datetime,
    access: OrgAccess | None,
) -> tuple[Group, OrgAccess]:
    access = await authorize(session, actor, org_id, now, access)
    group = await repository.lock_group(session, group_id, org_id)
    if group is None:
        raise group_not_found(group_id)
    return group, access


async def replace_members(
    session: AsyncSession,
    actor: Actor,
    *,
    org_id: uuid.UUID,
    group_id: uuid.UUID,
    user_ids: Sequence[uuid.UUID],
    now: dt.datetime,
    access: OrgAccess | None = None,
) -> GroupView:
    """Replace the group's members; every user must belong to the org (404 naming it)."""
    seen: set[uuid.UUID] = set()
    for index, uid in enumerate(user_ids):
        if uid in seen:
            raise InvalidInputError(
                [
                    {
                        "code": "invalid",
                        "message": f"User {uid} is given twice",
                        "path": ["members", index],
                    }
                ]
            )
        seen.add(uid)
    group, access = await _locked(session, actor, org_id, group_id, now, access)
    users = await repo.users_of_org(session, org_id, user_ids)
    for index, uid in enumerate(user_ids):
        if uid not in users:
            raise NotFoundError(
                f"User {uid} not found in this organisation", path=["members", index]
            )
    current = await _view(session, group, now)
    if {m.user.id for m in current.members} != seen:
        # Adding a member grants it the group's roles; removing one takes them away.
        await require_group_within(
            session, access, group, "add or remove members of a group holding", now
        )
    before = audit_state(current)
    await repo.replace_members(session, group.id, user_ids)
    group = await repo.update_group(session, group.id, {}, now)
    after = await _view(session, group, now)
    await repository.record_audit(
        session,
        actor=actor,
        action="ctrlhub.group.members.replace",
        target_type="group",
        target_id=group.id,
        before=before,
        after=audit_state(after),
    )
    return after


async def delete_group(
    session: AsyncSession,
    actor: Actor,
    *,
    org_id: uuid.UUID,
    group_id: uuid.UUID,
    now: dt.datetime,
    access: OrgAccess | None = None,
) -> None:
    """Delete the group everywhere: it is one group for every surface."""
    group, access = await _locked(session, actor, org_id, group_id, now, access)
    await require_group_within(session, access, group, "delete a group holding", now)
    before = audit_state(await _view(session, group, now))
    await repo.delete_group(session, group.id)
    await repository.record_audit(
        session,
        actor=actor,
        action="ctrlhub.group.delete",
        target_type="group",
        target_id=group.id,
        before=before,
        after=None,
    )

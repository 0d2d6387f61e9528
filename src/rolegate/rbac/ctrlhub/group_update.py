"""Endpoint E: PATCH a ctrl-hub role group (name, description, the binding list).

Each thing is read once and passed down: the actor's authority comes with the token check
(``access``), the custom roles the request names with the group lock, the bindings,
members and the members' grants in one read under the lock, and the response is computed
from what the write returned, not re-read. See :mod:`role_group_update_repository`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac import org_grants, repository
from rolegate.rbac.actors import Actor
from rolegate.rbac.ctrlhub import group_update_repository as repo
from rolegate.rbac.ctrlhub.access import OrgAccess
from rolegate.rbac.ctrlhub.bindings import binding_rows, custom_names
from rolegate.rbac.ctrlhub.group_update_repository import InsertedBinding, LockedState
from rolegate.rbac.ctrlhub.groups import authorize, group_not_found, require_grantable
from rolegate.rbac.ctrlhub.views import (
    BindingView,
    GroupPatch,
    GroupView,
    MemberView,
    audit_record,
    binding_view,
)
from rolegate.rbac.org_grants_repository import BINDING, GrantRow, UserRow


def _members(users: Sequence[UserRow], grants: Iterable[GrantRow]) -> list[MemberView]:
    by_user = org_grants.grants_of(users, grants)
    return [MemberView(user=u, grants=[g.name for g in by_user[u.id]]) for u in users]


def _name_of(role_names: Mapping[uuid.UUID, str], role_id: uuid.UUID | None) -> str | None:
    """A custom role's name (the request named it); None for a fixed catalogue role."""
    return role_names[role_id] if role_id is not None else None


def _bindings_granted(
    users: Sequence[UserRow],
    bindings: Sequence[InsertedBinding],
    role_names: Mapping[uuid.UUID, str],
) -> list[GrantRow]:
    """What the new bindings give the group's members: the grant rows a read would find."""
    return [
        GrantRow(
            user_id=user.id,
            kind=BINDING,
            role_key=b.role_key,
            role_name=_name_of(role_names, b.role_id),
            condition=b.condition,
        )
        for user in users
        for b in bindings
    ]


def _inserted_views(
    bindings: Sequence[InsertedBinding], role_names: Mapping[uuid.UUID, str]
) -> list[BindingView]:
    return [
        binding_view(b.id, b.role_key, _name_of(role_names, b.role_id), b.condition)
        for b in bindings
    ]


def _current(group: repo.GroupRow, state: LockedState) -> GroupView:
    """The group as it was when locked (what a GET would have returned then)."""
    return GroupView(
        group=group,
        bindings=_binding_views(state),
        members=_members(state.members, [*state.grants, *state.own_grants]),
    )


def _binding_views(state: LockedState) -> list[BindingView]:
    return [binding_view(b.id, b.role_key, b.role_name, b.condition) for b in state.bindings]


async def update_group(
    session: AsyncSession,
    actor: Actor,
    *,
    org_id: uuid.UUID,
    group_id: uuid.UUID,
    patch: GroupPatch,
    now: dt.datetime,
    access: OrgAccess | None = None,
    before_write: Callable[[GroupView], None] | None = None,
) -> GroupView:
    """Endpoint E: change the fields sent; ``bindings`` sent replaces the whole list.

    Three statements after authorization: lock the group (resolving custom roles), read
    its bindings (deleting them when they are replaced), members and the members' grants,
    then insert the new bindings with the group update and the audit event in one
    statement. A refusal after the delete raises, and the transaction rolls back whole.

    ``before_write`` sees the group as it was under its row lock, after every check
    passed (the API layer compares If-Match there); nothing is kept when it raises.
    """
    access = await authorize(session, actor, org_id, now, access)
    specs = patch.bindings
    locked = await repo.lock_group(
        session, group_id, org_id, custom_names(specs) if specs is not None else []
    )
    if locked is None:
        raise group_not_found(group_id)
    group = locked.group
    state = await repo.read_locked(
        session, group.id, group.org_id, replace_bindings=specs is not None, now=now
    )
    rows = None
    if specs is not None:
        rows = binding_rows(
            actor,
            org_id=group.org_id,
            group_id=group.id,
            specs=specs,
            custom=locked.custom_roles,
            existing=state.bindings,
            now=now,
        )
        require_grantable(
            access,
            specs,
            [(b.role_name or b.role_key, b.condition) for b in state.bindings],
        )
    if before_write is not None:
        before_write(_current(group, state))
    # Every check has passed: from here on, only the write.
    after = dataclasses.replace(
        group,
        name=patch.name if patch.name is not None else group.name,
        description=patch.description if patch.description is not None else group.description,
    )
    role_names = {role.id: role.name for role in locked.custom_roles.values()}
    before_bindings = _binding_views(state)
    after_bindings = before_bindings
    if rows is not None:
        # What the insert will store, so the audit event says what a re-read would.
        planned = [
            InsertedBinding(row["id"], row["role_key"], row["role_id"], row["condition"])
            for row in rows
        ]
        after_bindings = _inserted_views(planned, role_names)
    audit = repository.audit_params(
        actor=actor,
        action="ctrlhub.group.update",
        target_type="group",
        target_id=group.id,
        before=audit_record(group, before_bindings, state.members),
        after=audit_record(after, after_bindings, state.members),
    )
    stored = await repo.write(
        session, group=after, bindings=rows or [], actor=actor.audit_id, now=now, audit=audit
    )
    own_grants = state.own_grants
    if rows is not None:
        after_bindings = _inserted_views(stored, role_names)
        own_grants = _bindings_granted(state.members, stored, role_names)
    return GroupView(
        group=after,
        bindings=after_bindings,
        members=_members(state.members, [*state.grants, *own_grants]),
    )

"""A user's effective roles in an organization, counting every surface's assignments.

Org roles reach a user directly (CSP ``organization``/``custom`` rows) or through a group
(the same kinds, plus ctrl-hub conditional bindings). A binding counts only when its
condition matches the user (rolegate.rbac.permissions.conditions); every assignment counts only
inside its time window.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac import org_grants_repository
from rolegate.rbac.catalogue import IAM_ADMIN_ROLES
from rolegate.rbac.org_grants_repository import BINDING, GrantRow
from rolegate.rbac.permissions.conditions import PrincipalFacts, condition_matches


@dataclass(frozen=True, slots=True)
class OrgGrant:
    name: str
    builtin: bool  # a fixed catalogue role (org_owner, ...) rather than a custom role


class UserFields(Protocol):
    """What grants need of a user (an ORM ``User`` or a plain row): conditions read it."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def org_id(self) -> uuid.UUID: ...
    @property
    def email(self) -> str: ...
    @property
    def attributes(self) -> Mapping[str, Any] | None: ...
    @property
    def profile(self) -> Mapping[str, Any] | None: ...


def facts_of(user: UserFields) -> PrincipalFacts:
    return PrincipalFacts(
        id=str(user.id),
        email=user.email,
        attributes=user.attributes or {},
        profile=user.profile or {},
    )


def grant_named(role_key: str, role_name: str | None) -> OrgGrant | None:
    """The org role an assignment's ``role_key`` (and custom role name) names."""
    if role_key == "custom":
        return OrgGrant(name=role_name, builtin=False) if role_name else None
    return OrgGrant(name=role_key, builtin=True)


def _grant_of(row: GrantRow) -> OrgGrant | None:
    return grant_named(row.role_key, row.role_name)


def _counted_grant(row: GrantRow, facts: PrincipalFacts) -> OrgGrant | None:
    """The grant a row gives its user, or None (a binding whose condition does not match)."""
    if row.kind == BINDING and not condition_matches(row.condition, facts):
        return None
    return _grant_of(row)


def grants_of(
    users: Sequence[UserFields], rows: Iterable[GrantRow]
) -> dict[uuid.UUID, list[OrgGrant]]:
    """Each user's org roles from grant rows already loaded (only active rows, as
    :mod:`org_grants_repository` loads them): deduplicated, built-in roles first, then by
    name. A binding counts when its condition matches the user."""
    facts = {user.id: facts_of(user) for user in users}
    found: dict[uuid.UUID, set[OrgGrant]] = defaultdict(set)
    for row in rows:
        grant = _counted_grant(row, facts[row.user_id])
        if grant is not None:
            found[row.user_id].add(grant)
    return {uid: sorted(found[uid], key=lambda g: (not g.builtin, g.name)) for uid in facts}


def catalogue_roles_from_rows(facts: PrincipalFacts, rows: Iterable[GrantRow]) -> set[str]:
    """:func:`held_catalogue_roles` from one user's grant rows in the org, already loaded
    (CSP's auth query reads them with the token)."""
    grants = (_counted_grant(row, facts) for row in rows)
    return {g.name for g in grants if g is not None and g.builtin}


async def effective_grants(
    session: AsyncSession, org_id: uuid.UUID, users: Sequence[UserFields], now: dt.datetime
) -> dict[uuid.UUID, list[OrgGrant]]:
    """Each user's org roles now, deduplicated, built-in roles first, then by name."""
    ids = list({user.id: user for user in users})
    return grants_of(users, await org_grants_repository.org_grant_rows(session, org_id, ids, now))


def catalogue_roles_of(
    user: UserFields | None, org_id: uuid.UUID, rows: Iterable[GrantRow]
) -> set[str]:
    """:func:`held_catalogue_roles` for a user whose grant rows in ``org_id`` are loaded."""
    if user is None or user.org_id != org_id:
        return set()
    return {g.name for g in grants_of([user], rows)[user.id] if g.builtin}


async def held_catalogue_roles(
    session: AsyncSession, user_id: uuid.UUID, org_id: uuid.UUID, now: dt.datetime
) -> set[str]:
    """The fixed catalogue roles (org_owner, ...) a user holds in ``org_id`` now.

    The one answer every surface uses for org authority: CSP and ctrl-hub access, and the
    Infisical org role of a user. It counts every surface's assignments, directly or through
    a group, and ctrl-hub bindings whose condition matches the user. A caller that loaded
    the user's grant rows already (ctrl-hub's auth query) asks :func:`catalogue_roles_of`.
    """
    user = await org_grants_repository.get_user(session, user_id)
    if user is None or user.org_id != org_id:
        return set()
    rows = await org_grants_repository.org_grant_rows(session, org_id, [user.id], now)
    return catalogue_roles_of(user, org_id, rows)


def administers_iam(catalogue_roles: set[str] | frozenset[str]) -> bool:
    """org_owner or org_admin (org_member is not enough).

    Only the fixed roles count: a custom role that happens to be called ``org_admin``
    grants nothing here.
    """
    return bool(catalogue_roles & IAM_ADMIN_ROLES)


async def is_iam_admin(
    session: AsyncSession, org_id: uuid.UUID, user: UserFields, now: dt.datetime
) -> bool:
    """org_owner or org_admin now, directly or through a group."""
    return administers_iam(await held_catalogue_roles(session, user.id, org_id, now))


async def group_roles(
    session: AsyncSession, group_id: uuid.UUID, now: dt.datetime
) -> set[OrgGrant]:
    """Every org role the group gives (or will give) its members, on any surface: what a
    change of its members or its deletion reaches (rolegate.rbac.org_boundary)."""
    rows = await org_grants_repository.group_role_rows(session, group_id, now)
    return {g for key, name in rows if (g := grant_named(key, name)) is not None}

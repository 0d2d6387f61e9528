"""An actor's authority in one organization, loaded once per request (ctrl-hub).

ctrl-hub's auth checks the session token and loads what the path's org asks of the actor
(does the org exist, is the actor in it, which catalogue roles it holds there) in the same
query (:func:`rolegate.rbac.ctrlhub.sessions.authenticate_in_org`); the service then
authorizes against that :class:`OrgAccess` instead of reading it again. Services called
without one load it here (:func:`org_access`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac import org_grants, org_grants_repository, repository
from rolegate.rbac.actors import Actor
from rolegate.rbac.ctrlhub import groups_repository as repo
from rolegate.rbac.errors import OrganizationNotFoundError, PermissionDeniedError
from rolegate.rbac.models import Role, RoleAssignment
from rolegate.rbac.permissions.conditions import condition_matches
from rolegate.rbac.windows import is_open_at


@dataclass(frozen=True, slots=True)
class OrgAccess:
    org_id: uuid.UUID
    found: bool  # the organization exists
    member: bool  # the actor is a user of it
    # The fixed catalogue roles it holds there now (org_grants.held_catalogue_roles).
    catalogue_roles: frozenset[str]


@dataclass(frozen=True, slots=True)
class ActorInOrg:
    actor: Actor
    access: OrgAccess | None  # None when the request named no (valid) org id


async def org_access(
    session: AsyncSession, actor: Actor, org_id: uuid.UUID, now: dt.datetime
) -> OrgAccess:
    """What :func:`require_iam_admin` needs, read without the auth query's help."""
    if await repository.get_organization(session, org_id) is None:
        return OrgAccess(org_id, found=False, member=False, catalogue_roles=frozenset())
    user = await org_grants_repository.get_user(session, actor.id)
    if actor.org_id != org_id or user is None or user.org_id != org_id:
        return OrgAccess(org_id, found=True, member=False, catalogue_roles=frozenset())
    roles = await org_grants.held_catalogue_roles(session, user.id, org_id, now)
    return OrgAccess(org_id, found=True, member=True, catalogue_roles=frozenset(roles))


def require_iam_admin(access: OrgAccess) -> None:
    """The org exists (404), the actor is in it (403) and administers its IAM (403)."""
    if not access.found:
        raise OrganizationNotFoundError(f"Organisation {access.org_id} not found")
    if not access.member:
        raise PermissionDeniedError("You are not a member of this organisation")
    if not org_grants.administers_iam(access.catalogue_roles):
        raise PermissionDeniedError(
            "Managing role groups needs the org_owner or org_admin role in this organisation"
        )


async def applicable_bindings(
    session: AsyncSession, group_id: uuid.UUID, user_id: uuid.UUID, now: dt.datetime
) -> list[tuple[RoleAssignment, Role | None]]:
    """The ctrl-hub bindings of group G that apply to user U now.

    A binding applies when U is a member of G, the binding's time window is open and its
    condition matches U's attributes.
    """
    user = await org_grants_repository.get_user(session, user_id)
    if user is None or not await repo.is_member(session, group_id, user_id):
        return []
    facts = org_grants.facts_of(user)
    bindings = (await repo.bindings_of(session, [group_id]))[group_id]
    return [
        (ra, role)
        for ra, role in bindings
        if is_open_at(ra.starts_at, ra.ends_at, now) and condition_matches(ra.condition, facts)
    ]

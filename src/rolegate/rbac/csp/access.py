"""Who may act on a CSP org: the token's org scope and the org roles held now.

Authority comes from the database at request time (``org_grants.held_catalogue_roles``):
roles held directly or through a group, counted only while active.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac import repository
from rolegate.rbac.actors import Actor
from rolegate.rbac.catalogue import ORG_ROLES
from rolegate.rbac.csp.auth import CspPrincipal
from rolegate.rbac.errors import OrganizationNotFoundError, PermissionDeniedError
from rolegate.rbac.models import Organization
from rolegate.rbac.org_grants import held_catalogue_roles

ORG_NOT_FOUND = "Organization with this identifier is not found."
GROUP_NOT_FOUND = "Group with this identifier is not found."
OWNER_ONLY = frozenset({"org_owner"})


def parse_id(value: str) -> uuid.UUID | None:
    """A path id that is not a GUID names nothing: the caller answers 404."""
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


async def authorize(
    session: AsyncSession,
    actor: Actor,
    org_id: uuid.UUID | None,
    allowed: frozenset[str],
    action: str,
    now: dt.datetime,
) -> Organization:
    org = await _org_in_scope(session, actor, org_id, action)
    held = await held_catalogue_roles(session, actor.id, org.id, now)
    _require(held, allowed, action)
    return org


async def authorize_principal(
    session: AsyncSession,
    principal: CspPrincipal,
    org_id: uuid.UUID | None,
    allowed: frozenset[str],
    action: str,
) -> None:
    """:func:`authorize` for a principal whose org roles were read with its token.

    The token's own org exists (its user belongs to it), so only a request naming another
    org (or a malformed id) looks the org up, to answer 404 or 403 as before.
    """
    if org_id != principal.actor.org_id:
        await _org_in_scope(session, principal.actor, org_id, action)
    _require(principal.org_roles, allowed, action)


async def _org_in_scope(
    session: AsyncSession, actor: Actor, org_id: uuid.UUID | None, action: str
) -> Organization:
    org = await repository.get_organization(session, org_id) if org_id else None
    if org is None:
        raise OrganizationNotFoundError(ORG_NOT_FOUND)
    if actor.org_id != org.id:
        raise PermissionDeniedError(
            f"The access token is not scoped to organization {org.id}; {action} is refused"
        )
    return org


def _require(held: set[str] | frozenset[str], allowed: frozenset[str], action: str) -> None:
    if not held & allowed:
        names = " or ".join(ORG_ROLES[r] for r in sorted(allowed, key=list(ORG_ROLES).index))
        raise PermissionDeniedError(f"Only an {names} may {action}")

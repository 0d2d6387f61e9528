"""ctrl-hub session tokens: opaque, stored as SHA-256, looked up on every request."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac import org_grants
from rolegate.rbac.actors import Actor
from rolegate.rbac.ctrlhub import sessions_repository as repo
from rolegate.rbac.ctrlhub.access import ActorInOrg, OrgAccess
from rolegate.rbac.errors import AuthenticationError, NotFoundError
from rolegate.rbac.models import User
from rolegate.rbac.secrets import new_token, token_digest

SURFACE = "ctrlhub"
TOKEN_PREFIX = "ses_"  # noqa: S105 - a prefix, not a secret
INVALID = "The session token is invalid or has expired"


@dataclass(frozen=True, slots=True)
class MintedSession:
    token: str  # shown once; only its digest is stored
    user: User
    expires_at: dt.datetime | None


async def authenticate(session: AsyncSession, token: str, now: dt.datetime) -> Actor:
    """The actor behind a live session token; 401 material otherwise (never says why)."""
    row = await repo.live_token(session, token_digest(token), now)
    if row is None:
        raise AuthenticationError(INVALID)
    token_row, user = row
    return Actor(
        kind="user", id=user.id, org_id=user.org_id, surface=SURFACE, token_id=token_row.id
    )


async def authenticate_in_org(
    session: AsyncSession, token: str, org_id: uuid.UUID | None, now: dt.datetime
) -> ActorInOrg:
    """:func:`authenticate`, and the actor's access to ``org_id``, in one query.

    The access is what :func:`rolegate.rbac.ctrlhub.access.require_iam_admin` checks; its
    catalogue roles come from :func:`org_grants.catalogue_roles_of` over the grant rows the
    same query loaded. No ``org_id`` (a path without one, or not a UUID): no access.
    """
    found = await repo.live_session(session, token_digest(token), org_id, now)
    if found is None:
        raise AuthenticationError(INVALID)
    user = found.user
    actor = Actor(
        kind="user", id=user.id, org_id=user.org_id, surface=SURFACE, token_id=found.token_id
    )
    if org_id is None:
        return ActorInOrg(actor=actor, access=None)
    access = OrgAccess(
        org_id,
        found=found.org_found,
        member=user.org_id == org_id,
        catalogue_roles=frozenset(org_grants.catalogue_roles_of(user, org_id, found.grants)),
    )
    return ActorInOrg(actor=actor, access=access)


async def mint(
    session: AsyncSession,
    *,
    email: str,
    org: str | None,
    ttl: dt.timedelta | None,
    now: dt.datetime,
) -> MintedSession:
    """What ``rolegate token ctrlhub --user EMAIL`` prints. ``org`` is an id or slug."""
    users = await repo.users_by_email(session, email, org)
    if not users:
        raise NotFoundError(
            f"No user with email {email}" + (f" in organization {org}" if org else "")
        )
    if len(users) > 1:
        raise NotFoundError(f"{email} exists in {len(users)} organizations; pass --org")
    user = users[0]
    token = new_token(TOKEN_PREFIX)
    expires_at = now + ttl if ttl is not None else None
    await repo.insert_token(
        session, user_id=user.id, digest=token_digest(token), expires_at=expires_at, now=now
    )
    return MintedSession(token=token, user=user, expires_at=expires_at)

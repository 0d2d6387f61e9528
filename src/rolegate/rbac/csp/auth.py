"""CSP credentials: API-token exchange, access tokens, and who a presented token is.

An API token (stored as its SHA-256) is exchanged for a short-lived JWT scoped to the
user's organization (``context_name``). The ``perms`` claim lists the roles held at
minting time for clients that read it; authority is always decided from the database
at request time, so a role removed since minting no longer counts.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac import repository
from rolegate.rbac.actors import Actor
from rolegate.rbac.catalogue import ORG_ROLES
from rolegate.rbac.csp import auth_repository as csp_auth_repo
from rolegate.rbac.csp import groups_repository as repo
from rolegate.rbac.errors import AuthenticationError, InvalidCredentialsError, NotFoundError
from rolegate.rbac.models import User
from rolegate.rbac.org_grants import catalogue_roles_from_rows, held_catalogue_roles
from rolegate.rbac.permissions.conditions import PrincipalFacts
from rolegate.rbac.secrets import token_digest
from rolegate.rbac.tokens import TokenCodec

SURFACE = "csp"
# Its own audience: an id token is never accepted as an access token.
ID_TOKEN_SURFACE = "csp-id"  # noqa: S105 - an audience name, not a secret
SCOPE = "openid ALL_PERMISSIONS customer_number group_ids group_names"


class InvalidGrantError(InvalidCredentialsError):
    """An API token that is unknown, expired or revoked (OAuth ``invalid_grant``)."""


class UserNotFoundError(NotFoundError):
    pass


@dataclass(frozen=True, slots=True)
class CspGrant:
    access_token: str
    id_token: str
    refresh_token: str | None
    expires_in: int
    scope: str


async def _perms(session: AsyncSession, user: User, now: dt.datetime) -> list[str]:
    org_roles = sorted(await held_catalogue_roles(session, user.id, user.org_id, now))
    services = await repo.user_service_roles(session, user.id, user.org_id, now)
    perms = [f"csp:{key}" for key in ORG_ROLES if key in set(org_roles)]
    perms += sorted(f"external/{sd}/{name}" for sd, name in services)
    return perms


async def mint_for_user(
    session: AsyncSession,
    codec: TokenCodec,
    user: User,
    *,
    ttl: int,
    now: dt.datetime,
    refresh_token: str | None = None,
) -> CspGrant:
    perms = await _perms(session, user, now)
    claims = {
        "context_name": str(user.org_id),
        "context": str(user.org_id),
        "username": user.email,
        "acct": user.email,
        "email": user.email,
        "perms": perms,
        "azp": "rolegate_csp_api_token",
    }
    issued = codec.mint(surface=SURFACE, subject=user.id, ttl_seconds=ttl, claims=claims, now=now)
    await repository.record_access_token(
        session,
        jti=issued.jti,
        surface=SURFACE,
        principal_id=user.id,
        issued_at=issued.issued_at,
        expires_at=issued.expires_at,
    )
    id_token = codec.mint(
        surface=ID_TOKEN_SURFACE,
        subject=user.id,
        ttl_seconds=ttl,
        claims={"email": user.email, "context_name": str(user.org_id), "acct": user.email},
        now=now,
    )
    return CspGrant(
        access_token=issued.token,
        id_token=id_token.token,
        refresh_token=refresh_token,
        expires_in=ttl,
        scope=SCOPE,
    )


async def exchange_api_token(
    session: AsyncSession, codec: TokenCodec, api_token: str, *, ttl: int, now: dt.datetime
) -> CspGrant:
    """``POST …/auth/api-tokens/authorize``: API token → access token."""
    user = await repo.user_for_api_token(session, token_digest(api_token), now)
    if user is None:
        raise InvalidGrantError("invalid_grant: Invalid API token (unknown, expired or revoked)")
    # CSP hands the API token back as the refresh token: exchanging it again refreshes.
    return await mint_for_user(session, codec, user, ttl=ttl, now=now, refresh_token=api_token)


async def mint_for_email(
    session: AsyncSession,
    codec: TokenCodec,
    email: str,
    *,
    org: str | None,
    ttl: int,
    now: dt.datetime,
) -> CspGrant:
    """What ``rolegate token csp --user EMAIL`` prints."""
    users = await repo.users_by_email(session, email)
    if org is not None:
        users = [u for u in users if str(u.org_id) == org]
    if not users:
        raise UserNotFoundError(f"No user with e-mail {email}" + (f" in org {org}" if org else ""))
    if len(users) > 1:
        orgs = ", ".join(str(u.org_id) for u in users)
        raise UserNotFoundError(f"{email} is a user of several orgs ({orgs}); pass --org")
    return await mint_for_user(session, codec, users[0], ttl=ttl, now=now)


@dataclass(frozen=True, slots=True)
class CspPrincipal:
    """The actor of a request and its org authority, read with the token (one statement)."""

    actor: Actor
    org_name: str
    org_roles: frozenset[str]  # the catalogue roles held in actor.org_id now


async def _token_user(
    session: AsyncSession, codec: TokenCodec, token: str, now: dt.datetime, *, with_grants: bool
) -> tuple[Actor, csp_auth_repo.TokenUser]:
    claims = codec.verify(token, surface=SURFACE, now=now)
    jti: uuid.UUID = claims["jti"]
    found = await csp_auth_repo.token_user(
        session,
        token_id=jti,
        user_id=claims["sub"],
        surface=SURFACE,
        now=now,
        with_grants=with_grants,
    )
    if found is None:
        raise AuthenticationError("The access token is revoked or expired")
    if (
        found.id is None
        or found.org_id is None
        or str(found.org_id) != str(claims.get("context_name"))
    ):
        raise AuthenticationError("The access token's user no longer exists")
    actor = Actor(kind="user", id=found.id, org_id=found.org_id, surface=SURFACE, token_id=jti)
    return actor, found


async def authenticate(
    session: AsyncSession, codec: TokenCodec, token: str, now: dt.datetime
) -> Actor:
    actor, _ = await _token_user(session, codec, token, now, with_grants=False)
    return actor


async def authenticate_with_authority(
    session: AsyncSession, codec: TokenCodec, token: str, now: dt.datetime
) -> CspPrincipal:
    """:func:`authenticate`, with the org roles the user holds now, in the same statement."""
    actor, found = await _token_user(session, codec, token, now, with_grants=True)
    facts = PrincipalFacts(
        id=str(actor.id),
        email=found.email or "",
        attributes=found.attributes,
        profile=found.profile,
    )
    held = catalogue_roles_from_rows(facts, found.grants)
    return CspPrincipal(actor=actor, org_name=found.org_name or "", org_roles=frozenset(held))

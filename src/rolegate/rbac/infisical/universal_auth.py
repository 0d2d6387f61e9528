"""Infisical universal auth: client id and secret for an access token; shared by the CLI
and the HTTP surface."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac import repository
from rolegate.rbac.actors import Actor
from rolegate.rbac.errors import AuthenticationError, IdentityNotFoundError, InvalidCredentialsError
from rolegate.rbac.infisical import universal_auth_repository as repo
from rolegate.rbac.models import Identity
from rolegate.rbac.secrets import SecretVerifier
from rolegate.rbac.tokens import IssuedToken, TokenCodec


@dataclass(frozen=True, slots=True)
class InfisicalLogin:
    token: IssuedToken
    expires_in: int
    max_ttl: int


async def _mint_for_identity(
    session: AsyncSession,
    codec: TokenCodec,
    identity: Identity,
    ttl: int,
    now: dt.datetime,
    auth_time: int | None = None,
) -> IssuedToken:
    issued = codec.mint(
        surface="infisical",
        subject=identity.id,
        ttl_seconds=ttl,
        claims={
            "org": str(identity.org_id),
            "authMethod": "universal-auth",
            # When the login that started this chain of renewals happened: the max TTL
            # counts from there, however often the token is renewed.
            "authTime": auth_time if auth_time is not None else int(now.timestamp()),
        },
        now=now,
    )
    await repository.record_access_token(
        session,
        jti=issued.jti,
        surface="infisical",
        principal_id=identity.id,
        issued_at=issued.issued_at,
        expires_at=issued.expires_at,
    )
    return issued


async def universal_auth_login(
    session: AsyncSession,
    codec: TokenCodec,
    verifier: SecretVerifier,
    client_id: str,
    client_secret: str,
    now: dt.datetime,
) -> InfisicalLogin:
    # The slot is taken before the lookup: a login waiting for one holds no connection.
    async with verifier.slot():
        credential, identity = await repo.credential_by_client_id(session, client_id)
        # Always verify (an unknown client against a dummy): see rbac/secrets.py.
        verdict = await verifier.verify(
            credential.client_secret_hash if credential else None, client_secret
        )
    if not verdict.ok or credential is None or identity is None:
        raise InvalidCredentialsError("Invalid credentials")
    if verdict.rehash:
        credential.client_secret_hash = verifier.hasher.hash(client_secret)
    issued = await _mint_for_identity(session, codec, identity, credential.access_token_ttl, now)
    return InfisicalLogin(
        token=issued,
        expires_in=credential.access_token_ttl,
        max_ttl=credential.access_token_max_ttl,
    )


async def mint_identity_token(
    session: AsyncSession, codec: TokenCodec, identity_id: uuid.UUID, now: dt.datetime
) -> InfisicalLogin:
    """What ``rolegate token infisical`` prints: a token as universal-auth login would give."""
    found = await repo.identity_with_credential(session, identity_id)
    if found is None:
        raise IdentityNotFoundError(f"Failed to find identity with id {identity_id}")
    identity, credential = found
    ttl = credential.access_token_ttl if credential else 7200
    max_ttl = credential.access_token_max_ttl if credential else 2592000
    issued = await _mint_for_identity(session, codec, identity, ttl, now)
    return InfisicalLogin(token=issued, expires_in=ttl, max_ttl=max_ttl)


async def revoke_token(
    session: AsyncSession, codec: TokenCodec, token: str, surface: str, now: dt.datetime
) -> None:
    claims = codec.verify(token, surface=surface, now=now)
    if not await repository.revoke_access_token(session, claims["jti"], now):
        raise AuthenticationError("Token is already revoked or unknown")


async def renew_token(
    session: AsyncSession, codec: TokenCodec, token: str, now: dt.datetime
) -> InfisicalLogin:
    """``POST /api/v1/auth/token/renew``: a fresh token for the identity, the old one revoked.

    Infisical extends the same token; a JWT carries its expiry, so rolegate issues a new
    one instead and revokes the old in the same transaction (one live token per chain).
    The new expiry is now + the access-token TTL, capped at the chain's login + max TTL;
    a chain past its max TTL, or a revoked, expired or unknown token, is refused.
    """
    claims = codec.verify(token, surface="infisical")
    auth_time = claims.get("authTime", claims["iat"])
    if not isinstance(auth_time, int):
        raise AuthenticationError("Invalid token")
    row = await repo.identity_with_credential(session, claims["sub"])
    if row is None or not await repository.revoke_access_token(session, claims["jti"], now):
        raise AuthenticationError("Token is revoked or unknown")
    identity, credential = row
    ttl = credential.access_token_ttl if credential else 7200
    max_ttl = credential.access_token_max_ttl if credential else 2592000
    remaining = auth_time + max_ttl - int(now.timestamp())
    if remaining <= 0:
        raise AuthenticationError("Failed to renew access token: it has reached its max TTL")
    lifetime = min(ttl, remaining)
    issued = await _mint_for_identity(session, codec, identity, lifetime, now, auth_time)
    await repository.record_audit(
        session,
        actor=Actor(
            kind="identity",
            id=identity.id,
            org_id=identity.org_id,
            surface="infisical",
            token_id=issued.jti,
            org_role=identity.org_role,
        ),
        action="identity-token.renew",
        target_type="identity-access-token",
        target_id=issued.jti,
        before={"tokenId": str(claims["jti"])},
        after={"tokenId": str(issued.jti), "expiresAt": issued.expires_at.isoformat()},
    )
    return InfisicalLogin(token=issued, expires_in=lifetime, max_ttl=max_ttl)

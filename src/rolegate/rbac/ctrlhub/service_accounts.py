"""ctrl-hub service accounts: the OAuth2 client-credentials grant and its bearer tokens.

The SDK authenticates a service account with ``POST /oauth2/token``
(``grant_type=client_credentials``, its client id and secret) and sends the access token
as ``Authorization: Bearer``. The token is a JWT with the ``ctrlhub`` audience, recorded
by its ``jti`` (revocable, checked on every request): the Infisical and CSP verifiers
pin their own audiences, so it is refused there.

What a service account may do is its ``org_roles`` (fixed catalogue names, from the seed
file), counted in its own org only: ``org_owner`` or ``org_admin`` administer the org's
IAM (role groups, members), any other role (or none) reads the role catalogue only.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac import repository
from rolegate.rbac.actors import Actor
from rolegate.rbac.catalogue import ORG_ROLES
from rolegate.rbac.ctrlhub import service_accounts_repository as repo
from rolegate.rbac.ctrlhub.access import ActorInOrg, OrgAccess
from rolegate.rbac.errors import AuthenticationError, InvalidCredentialsError, InvalidInputError
from rolegate.rbac.secrets import SecretVerifier
from rolegate.rbac.tokens import TokenCodec

SURFACE = "ctrlhub"
GRANT_TYPE = "client_credentials"
INVALID = "The access token is invalid, revoked or has expired"


class InvalidClientError(InvalidCredentialsError):
    """OAuth ``invalid_client``: unknown client, wrong secret, or a disabled account."""


class UnsupportedGrantTypeError(InvalidInputError):
    """OAuth ``unsupported_grant_type``: only ``client_credentials`` is served."""

    def __init__(self, grant_type: str) -> None:
        super().__init__(
            [
                {
                    "code": "unsupported_grant_type",
                    "message": f"grant_type '{grant_type}' is not supported;"
                    f" this server issues {GRANT_TYPE} only",
                    "path": ["grant_type"],
                }
            ]
        )


def unknown_org_roles(names: list[str]) -> list[str]:
    return [name for name in names if name not in ORG_ROLES]


@dataclass(frozen=True, slots=True)
class ClientToken:
    access_token: str
    expires_in: int


def check_grant_type(grant_type: str) -> None:
    """Before the client is authenticated: an unsupported grant needs no lookup."""
    if grant_type != GRANT_TYPE:
        raise UnsupportedGrantTypeError(grant_type)


async def client_credentials(
    session: AsyncSession,
    codec: TokenCodec,
    verifier: SecretVerifier,
    *,
    client_id: str,
    client_secret: str,
    ttl: int,
    now: dt.datetime,
) -> ClientToken:
    """``POST /oauth2/token`` once :func:`check_grant_type` passed: the client's token.

    The issue is audited (who obtained a token, until when; never the token itself).
    """
    # As universal-auth login: the check is constant-time, an unknown client is checked
    # against a dummy, and a slow (argon2) hash waits for a slot off the event loop.
    async with verifier.slot():
        account = await repo.by_client_id(session, client_id)
        verdict = await verifier.verify(
            account.client_secret_hash if account else None, client_secret
        )
    if account is None or not verdict.ok or not account.enabled:
        raise InvalidClientError("Client authentication failed")
    if verdict.rehash:
        account.client_secret_hash = verifier.hasher.hash(client_secret)
    issued = codec.mint(
        surface=SURFACE,
        subject=account.id,
        ttl_seconds=ttl,
        claims={"org_id": str(account.org_id), "client_id": account.client_id, "azp": GRANT_TYPE},
        now=now,
    )
    await repository.record_access_token(
        session,
        jti=issued.jti,
        surface=SURFACE,
        principal_id=account.id,
        issued_at=issued.issued_at,
        expires_at=issued.expires_at,
    )
    actor = Actor(
        kind="service_account",
        id=account.id,
        org_id=account.org_id,
        surface=SURFACE,
        token_id=issued.jti,
    )
    await repository.record_audit(
        session,
        actor=actor,
        action="ctrlhub.service_account.token",
        target_type="service_account",
        target_id=account.id,
        before=None,
        after={
            "client_id": account.client_id,
            "token_id": str(issued.jti),
            "expires_at": issued.expires_at.isoformat(),
        },
    )
    return ClientToken(access_token=issued.token, expires_in=ttl)


def verify(codec: TokenCodec, token: str) -> dict[str, Any] | None:
    """The claims of a ctrl-hub access token, or None when ``token`` is not one (then it
    may still be a session token)."""
    try:
        return codec.verify(token, surface=SURFACE)
    except AuthenticationError:
        return None


async def authenticate_in_org(
    session: AsyncSession,
    claims: dict[str, Any],
    org_id: uuid.UUID | None,
    now: dt.datetime,
) -> ActorInOrg:
    """The service account behind verified ``claims``, and its access to ``org_id``."""
    token_id: uuid.UUID = claims["jti"]  # TokenCodec.verify made both UUIDs
    account_id: uuid.UUID = claims["sub"]
    found = await repo.live_account(
        session,
        token_id=token_id,
        account_id=account_id,
        surface=SURFACE,
        org_id=org_id,
        now=now,
    )
    if found is None:
        raise AuthenticationError(INVALID)
    account = found.account
    actor = Actor(
        kind="service_account",
        id=account.id,
        org_id=account.org_id,
        surface=SURFACE,
        token_id=token_id,
    )
    if org_id is None:
        return ActorInOrg(actor=actor, access=None)
    member = account.org_id == org_id
    roles = frozenset(r for r in account.org_roles if r in ORG_ROLES) if member else frozenset()
    access = OrgAccess(org_id, found=found.org_found, member=member, catalogue_roles=roles)
    return ActorInOrg(actor=actor, access=access)

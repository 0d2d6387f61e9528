"""Infisical authentication: ``Authorization: Bearer <jwt>`` minted by universal-auth login."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Depends, Request, Response

from rolegate.api.credentials import credential
from rolegate.api.infisical.errors import ERRORS, token_missing
from rolegate.api.routing import SurfaceRoute, get_session
from rolegate.rbac import repository
from rolegate.rbac.actors import Actor
from rolegate.rbac.errors import AuthenticationError
from rolegate.rbac.tokens import TokenCodec

SURFACE = "infisical"


def bearer_token(request: Request) -> str | None:
    return credential(request)


class InfisicalRoute(SurfaceRoute):
    errors = ERRORS

    async def precheck(self, request: Request) -> Response | None:
        # Infisical answers a missing token with 401 before it looks at the body.
        if self.openapi_extra and self.openapi_extra.get("x-rolegate-public"):
            return None
        if bearer_token(request) is None:
            return token_missing()
        return None


PUBLIC = {"x-rolegate-public": True}


async def current_actor(request: Request) -> Actor:
    token = bearer_token(request)
    if token is None:  # precheck already answered; kept for direct dependency use
        raise AuthenticationError("Token missing")
    codec: TokenCodec = request.app.state.tokens
    claims = codec.verify(token, surface=SURFACE)
    session = get_session(request)
    identity = await repository.live_identity_for_token(
        session, claims["jti"], claims["sub"], dt.datetime.now(dt.UTC)
    )
    if identity is None:
        raise AuthenticationError("Token is revoked, expired or its identity no longer exists")
    return Actor(
        kind="identity",
        id=identity.id,
        org_id=identity.org_id,
        surface=SURFACE,
        token_id=claims["jti"],
        org_role=identity.org_role,
    )


CurrentActor = Annotated[Actor, Depends(current_actor)]

"""Infisical authentication: ``Authorization: Bearer <jwt>`` minted by universal-auth login."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import Depends, Request, Response

from rolegate.api.credentials import credential
from rolegate.api.infisical.errors import ERRORS, token_missing
from rolegate.api.routing import SurfaceRoute, request_session
from rolegate.rbac.actors import Actor
from rolegate.rbac.errors import AuthenticationError
from rolegate.rbac.infisical import access
from rolegate.rbac.infisical.access import ActorInProject
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


async def _authenticate(request: Request, project_id: uuid.UUID | None) -> ActorInProject:
    token = bearer_token(request)
    if token is None:  # precheck already answered; kept for direct dependency use
        raise AuthenticationError("Token missing")
    codec: TokenCodec = request.app.state.tokens
    claims = codec.verify(token, surface=SURFACE)
    found = await access.authenticate_identity(
        request_session(request),
        token_id=claims["jti"],
        identity_id=claims["sub"],
        surface=SURFACE,
        project_id=project_id,
        now=dt.datetime.now(dt.UTC),
    )
    if found is None:
        raise AuthenticationError("Token is revoked, expired or its identity no longer exists")
    return found


async def current_actor(request: Request) -> Actor:
    return (await _authenticate(request, None)).actor


async def current_actor_in_project(request: Request) -> ActorInProject:
    """The actor, and its access to the path's ``projectId``, in the token check's query.

    The path parameter is read leniently: a malformed id loads no access (the route's own
    validation answers it), so a dead token is still a 401 first, as with current_actor.
    """
    try:
        project_id: uuid.UUID | None = uuid.UUID(str(request.path_params.get("projectId")))
    except ValueError:
        project_id = None
    return await _authenticate(request, project_id)


CurrentActor = Annotated[Actor, Depends(current_actor)]
CurrentActorInProject = Annotated[ActorInProject, Depends(current_actor_in_project)]

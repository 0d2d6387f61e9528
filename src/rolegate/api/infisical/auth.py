"""Infisical authentication: ``Authorization: Bearer <jwt>`` minted by universal-auth login."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request, Response

from rolegate.api.credentials import credential
from rolegate.api.deps import current_time, is_public, path_uuid, required
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
        if is_public(self):
            return None
        if bearer_token(request) is None:
            return token_missing()
        return None


async def _authenticate(request: Request, project_id: uuid.UUID | None) -> ActorInProject:
    token = required(bearer_token(request), "Token missing")
    codec: TokenCodec = request.app.state.tokens
    now = current_time()
    claims = codec.verify(token, surface=SURFACE, now=now)
    found = await access.authenticate_identity(
        request_session(request),
        token_id=claims["jti"],
        identity_id=claims["sub"],
        surface=SURFACE,
        project_id=project_id,
        now=now,
    )
    if found is None:
        raise AuthenticationError("Token is revoked, expired or its identity no longer exists")
    return found


async def current_actor(request: Request) -> Actor:
    return (await _authenticate(request, None)).actor


async def current_actor_in_project(request: Request) -> ActorInProject:
    """The actor, and its access to the path's ``projectId``, in the token check's query
    (a malformed id loads no access: :func:`~rolegate.api.deps.path_uuid`)."""
    return await _authenticate(request, path_uuid(request, "projectId"))


CurrentActor = Annotated[Actor, Depends(current_actor)]
CurrentActorInProject = Annotated[ActorInProject, Depends(current_actor_in_project)]

"""CSP authentication: ``csp-auth-token: <jwt>`` (what CSP clients send) or
``Authorization: Bearer <jwt>``, minted by the API-token exchange."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response

from rolegate.api.credentials import credential
from rolegate.api.csp.errors import ERRORS, not_authenticated
from rolegate.api.deps import current_time, is_public, required
from rolegate.api.routing import SurfaceRoute, request_session
from rolegate.rbac.actors import Actor
from rolegate.rbac.csp import auth as csp_auth
from rolegate.rbac.tokens import TokenCodec


def presented_token(request: Request) -> str | None:
    return credential(request, "csp-auth-token")


class CspRoute(SurfaceRoute):
    errors = ERRORS
    # The CSP reference documents 409 for a concurrent update that cannot serialize.
    conflict_status = 409

    async def precheck(self, request: Request) -> Response | None:
        # No token: 401 before the body is read or anything is looked up.
        if is_public(self):
            return None
        if presented_token(request) is None:
            return not_authenticated()
        return None


async def current_actor(request: Request) -> Actor:
    token = required(presented_token(request), "Authentication required")
    codec: TokenCodec = request.app.state.tokens
    return await csp_auth.authenticate(request_session(request), codec, token, current_time())


CurrentActor = Annotated[Actor, Depends(current_actor)]


async def current_principal(request: Request) -> csp_auth.CspPrincipal:
    """The actor with its org roles, read in the token's statement (endpoint D)."""
    token = required(presented_token(request), "Authentication required")
    codec: TokenCodec = request.app.state.tokens
    return await csp_auth.authenticate_with_authority(
        request_session(request), codec, token, current_time()
    )


CurrentPrincipal = Annotated[csp_auth.CspPrincipal, Depends(current_principal)]

"""Infisical routes that need no token: universal-auth login and token revocation.

Apart from the project-group routes so that their router can declare the bearer scheme
for every route it holds (see ``api/security_schemes.py``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.api.infisical import groups_schemas as s
from rolegate.api.infisical.auth import PUBLIC, InfisicalRoute
from rolegate.api.infisical.errors import InfisicalError
from rolegate.api.routing import error_responses, get_session
from rolegate.rbac.infisical import universal_auth as auth_service
from rolegate.rbac.tokens import TokenCodec

Session = Annotated[AsyncSession, Depends(get_session)]

router = APIRouter(
    route_class=InfisicalRoute,
    tags=["Infisical"],
    responses=error_responses(InfisicalError, 400, 401, 403, 404, 413, 422, 429, 500, 503),
)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@router.post(
    "/api/v1/auth/universal-auth/login",
    openapi_extra=PUBLIC,
    summary="Log in with a machine identity's universal-auth credentials",
)
async def universal_auth_login(
    body: s.UniversalAuthLoginRequest, request: Request, session: Session
) -> s.UniversalAuthLoginResponse:
    codec: TokenCodec = request.app.state.tokens
    login = await auth_service.universal_auth_login(
        session, codec, body.clientId, body.clientSecret, _now()
    )
    return s.UniversalAuthLoginResponse(
        accessToken=login.token.token,
        expiresIn=login.expires_in,
        accessTokenMaxTTL=login.max_ttl,
    )


@router.post("/api/v1/auth/token/revoke", openapi_extra=PUBLIC, summary="Revoke an access token")
async def revoke_token(
    body: s.RevokeTokenRequest, request: Request, session: Session
) -> s.RevokeTokenResponse:
    codec: TokenCodec = request.app.state.tokens
    await auth_service.revoke_token(session, codec, body.accessToken, "infisical", _now())
    return s.RevokeTokenResponse(message="Successfully revoked access token")

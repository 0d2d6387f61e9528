"""Infisical routes that need no token: universal-auth login and token revocation.

Apart from the project-group routes so that their router can declare the bearer scheme
for every route it holds (see ``api/security_schemes.py``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from rolegate.api.deps import PUBLIC, Session, current_time
from rolegate.api.infisical import groups_schemas as s
from rolegate.api.infisical.auth import InfisicalRoute
from rolegate.api.infisical.errors import InfisicalError
from rolegate.api.routing import error_responses
from rolegate.rbac.infisical import universal_auth as auth_service
from rolegate.rbac.secrets import SecretVerifier
from rolegate.rbac.tokens import TokenCodec

router = APIRouter(
    route_class=InfisicalRoute,
    tags=["Infisical"],
    responses=error_responses(InfisicalError, 400, 401, 403, 404, 413, 422, 429, 500, 503),
)


@router.post(
    "/api/v1/auth/universal-auth/login",
    openapi_extra=PUBLIC,
    summary="Log in with a machine identity's universal-auth credentials",
)
async def universal_auth_login(
    body: s.UniversalAuthLoginRequest, request: Request, session: Session
) -> s.UniversalAuthLoginResponse:
    codec: TokenCodec = request.app.state.tokens
    verifier: SecretVerifier = request.app.state.secrets
    login = await auth_service.universal_auth_login(
        session, codec, verifier, body.clientId, body.clientSecret, current_time()
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
    await auth_service.revoke_token(session, codec, body.accessToken, "infisical", current_time())
    return s.RevokeTokenResponse(message="Successfully revoked access token")


@router.post(
    "/api/v1/auth/token/renew",
    openapi_extra=PUBLIC,
    summary="Renew an access token (a new token; the old one is revoked)",
)
async def renew_token(
    body: s.RenewTokenRequest, request: Request, session: Session
) -> s.UniversalAuthLoginResponse:
    codec: TokenCodec = request.app.state.tokens
    renewed = await auth_service.renew_token(session, codec, body.accessToken, current_time())
    return s.UniversalAuthLoginResponse(
        accessToken=renewed.token.token,
        expiresIn=renewed.expires_in,
        accessTokenMaxTTL=renewed.max_ttl,
    )

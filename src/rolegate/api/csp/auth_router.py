"""CSP's API-token exchange: the one CSP route that needs no token.

Apart from the group routes so that their router can declare the CSP token schemes for
every route it holds (see ``api/security_schemes.py``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request

from rolegate.api.csp import schemas as s
from rolegate.api.csp.auth import CspRoute
from rolegate.api.csp.errors import CspErrorResponse
from rolegate.api.deps import PUBLIC, Session, current_time
from rolegate.api.routing import error_responses
from rolegate.config import Settings
from rolegate.rbac.csp import auth as csp_auth
from rolegate.rbac.errors import InvalidInputError
from rolegate.rbac.tokens import TokenCodec

router = APIRouter(
    prefix="/csp/gateway/am/api",
    route_class=CspRoute,
    tags=["VMware CSP"],
    responses=error_responses(CspErrorResponse, 400, 401, 403, 404, 409, 500, 503),
)


@router.post(
    "/auth/api-tokens/authorize",
    openapi_extra=PUBLIC,
    summary="Exchange an API token for an access token",
)
async def authorize(
    request: Request,
    session: Session,
    api_token: Annotated[str | None, Form(max_length=4096)] = None,
    refresh_token_form: Annotated[
        str | None, Form(alias="refresh_token", max_length=4096, deprecated=True)
    ] = None,
    refresh_token_query: Annotated[
        str | None, Query(alias="refresh_token", max_length=4096, deprecated=True)
    ] = None,
) -> s.TokenResponse:
    token = api_token or refresh_token_form or refresh_token_query
    if not token:
        raise InvalidInputError(
            [
                {
                    "code": "missing",
                    "message": "invalid_request: api_token is required"
                    " (form field api_token, or the deprecated refresh_token)",
                    "path": ["api_token"],
                }
            ]
        )
    settings: Settings = request.app.state.settings
    codec: TokenCodec = request.app.state.tokens
    grant = await csp_auth.exchange_api_token(
        session, codec, token, ttl=settings.auth.csp_token_ttl, now=current_time()
    )
    return s.TokenResponse(
        access_token=grant.access_token,
        expires_in=grant.expires_in,
        id_token=grant.id_token,
        refresh_token=grant.refresh_token,
        scope=grant.scope,
    )

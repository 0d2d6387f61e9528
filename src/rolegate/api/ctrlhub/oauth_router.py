"""``POST /oauth2/token``: a ctrl-hub service account's OAuth2 client-credentials grant.

The SDK (``Client.getToken``) posts ``grant_type=client_credentials&client_id&client_secret``
as a form; RFC 6749 §2.3.1 also lets a client authenticate with HTTP Basic (the id and
secret form-urlencoded, then base64), which every OAuth library does by default. Sending
both ways at once is an ``invalid_request`` (one method per request, §2.3).
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated
from urllib.parse import unquote_plus

from fastapi import APIRouter, Form, Request, Response
from pydantic import BaseModel

from rolegate.api.ctrlhub.oauth_errors import ERRORS, NO_STORE
from rolegate.api.deps import PUBLIC, Session, current_time
from rolegate.api.routing import SurfaceRoute
from rolegate.config import Settings
from rolegate.rbac.ctrlhub import service_accounts
from rolegate.rbac.errors import BadRequestError, InvalidCredentialsError
from rolegate.rbac.secrets import SecretVerifier
from rolegate.rbac.tokens import TokenCodec

MAX_FIELD = 1024


class OAuthRoute(SurfaceRoute):
    errors = ERRORS


class OAuthError(BaseModel):
    error: str
    error_description: str | None = None


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int


router = APIRouter(
    route_class=OAuthRoute,
    tags=["ctrl-hub"],
    responses={
        400: {"model": OAuthError, "description": "invalid_request, unsupported_grant_type"},
        401: {"model": OAuthError, "description": "invalid_client"},
        413: {"model": OAuthError, "description": "invalid_request: the body is too large"},
        429: {"model": OAuthError, "description": "invalid_request: rate limited"},
        500: {"model": OAuthError, "description": "server_error"},
        503: {"model": OAuthError, "description": "temporarily_unavailable"},
        # A form that fails validation is a 400 invalid_request (RFC 6749 §5.2), never
        # FastAPI's 422, which the document would otherwise list for this route.
        "4XX": {"model": OAuthError, "description": "any other client error: invalid_request"},
    },
)


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    """``Authorization: Basic`` client credentials, or None when the header is not Basic."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidCredentialsError("The Basic credentials are not valid base64") from exc
    client_id, colon, client_secret = decoded.partition(":")
    if not colon:
        raise InvalidCredentialsError("The Basic credentials need client_id:client_secret")
    return unquote_plus(client_id), unquote_plus(client_secret)


def _client(request: Request, client_id: str | None, client_secret: str | None) -> tuple[str, str]:
    basic = _basic_credentials(request)
    if basic is not None:
        if client_secret is not None or (client_id is not None and client_id != basic[0]):
            raise BadRequestError(
                "Use one client authentication method: HTTP Basic or the form, not both"
            )
        return basic
    if not client_id or client_secret is None:
        raise InvalidCredentialsError(
            "Client authentication failed: send client_id and client_secret (form or Basic)"
        )
    return client_id, client_secret


@router.post(
    "/oauth2/token",
    openapi_extra=PUBLIC,
    summary="Issue a service account's access token (OAuth2 client credentials)",
)
async def token(
    request: Request,
    session: Session,
    response: Response,
    grant_type: Annotated[str | None, Form(max_length=MAX_FIELD)] = None,
    client_id: Annotated[str | None, Form(max_length=MAX_FIELD)] = None,
    client_secret: Annotated[str | None, Form(max_length=MAX_FIELD)] = None,
    scope: Annotated[str | None, Form(max_length=MAX_FIELD)] = None,  # accepted, not used
) -> TokenResponse:
    if not grant_type:
        raise BadRequestError("grant_type is required")
    settings: Settings = request.app.state.settings
    codec: TokenCodec = request.app.state.tokens
    service_accounts.check_grant_type(grant_type)
    cid, secret = _client(request, client_id, client_secret)
    verifier: SecretVerifier = request.app.state.secrets
    issued = await service_accounts.client_credentials(
        session,
        codec,
        verifier,
        client_id=cid,
        client_secret=secret,
        ttl=settings.auth.ctrlhub_client_token_ttl,
        now=current_time(),
    )
    response.headers.update(NO_STORE)
    return TokenResponse(access_token=issued.access_token, expires_in=issued.expires_in)

"""The credentials each surface takes, declared for the OpenAPI document.

Each surface router lists its ``AUTH`` dependencies, so FastAPI puts the schemes in
``components.securitySchemes`` and a ``security`` requirement on every operation of that
router: Swagger UI's *Authorize* then knows where a token goes, and a generated client
sends it. A requirement list is an OR: CSP and ctrl-hub take their own header or
``Authorization: Bearer``, so they declare both.

The schemes only declare. Reading and checking the credential stays in each surface's
``auth.py`` (through ``api/credentials.py``), whose order of checks and 401 bodies are
the vendors'; these dependencies return ``None`` without looking at the request, so they
can neither answer a request nor change what it is answered.
"""

from __future__ import annotations

from typing import Any

from fastapi import Security
from fastapi.security import APIKeyHeader, HTTPBearer
from starlette.requests import HTTPConnection


class DeclaredBearer(HTTPBearer):
    """``Authorization: Bearer <token>``, declared only."""

    async def __call__(self, request: HTTPConnection) -> None:
        return None


class DeclaredHeader(APIKeyHeader):
    """A token in a header of its own, declared only."""

    async def __call__(self, request: HTTPConnection) -> None:
        return None


INFISICAL_AUTH: list[Any] = [
    Security(
        DeclaredBearer(
            scheme_name="InfisicalBearer",
            bearerFormat="JWT",
            description="Access token from `POST /api/v1/auth/universal-auth/login`"
            " (or `rolegate token infisical`), sent as `Authorization: Bearer <token>`.",
            auto_error=False,
        )
    )
]

CSP_AUTH: list[Any] = [
    Security(
        DeclaredHeader(
            name="csp-auth-token",
            scheme_name="CspAuthToken",
            description="Access token from `POST /csp/gateway/am/api/auth/api-tokens/authorize`"
            " (or `rolegate token csp`), sent as `csp-auth-token: <token>`.",
            auto_error=False,
        )
    ),
    Security(
        DeclaredBearer(
            scheme_name="CspBearer",
            bearerFormat="JWT",
            description="The same CSP access token as `Authorization: Bearer <token>`"
            " (`csp-auth-token` wins when both are sent).",
            auto_error=False,
        )
    ),
]

CTRLHUB_AUTH: list[Any] = [
    Security(
        DeclaredHeader(
            name="X-Session-Token",
            scheme_name="CtrlHubSessionToken",
            description="A session token declared in the seed file (or minted by"
            " `rolegate token ctrlhub`), sent as `X-Session-Token: <token>`.",
            auto_error=False,
        )
    ),
    Security(
        DeclaredBearer(
            scheme_name="CtrlHubBearer",
            description="The same session token as `Authorization: Bearer <token>`"
            " (`X-Session-Token` wins when both are sent), or a service account's access"
            " token from `POST /oauth2/token` (OAuth2 client credentials).",
            auto_error=False,
        )
    ),
]

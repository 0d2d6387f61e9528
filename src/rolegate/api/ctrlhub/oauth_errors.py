"""OAuth 2.0's error form for ``POST /oauth2/token`` (RFC 6749 §5.2), not JSON:API.

``{"error": "<code>", "error_description": "..."}``: ``invalid_request`` (400) for a
missing or doubled parameter, ``unsupported_grant_type`` (400) for any grant but
``client_credentials``, ``invalid_client`` (401, with ``WWW-Authenticate: Basic``) when
client authentication fails. Every answer says ``Cache-Control: no-store``: a token
response must not be cached, and neither should the failures around it.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from rolegate.api.ctrlhub.errors import TRACE_HEADER
from rolegate.api.surface_errors import SurfaceErrors
from rolegate.api.validation import clean_message
from rolegate.rbac import errors as e
from rolegate.rbac.ctrlhub.service_accounts import UnsupportedGrantTypeError

_HTTP_CODES = MappingProxyType({400: "invalid_request", 503: "temporarily_unavailable"})
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
REALM = 'Basic realm="rolegate", charset="UTF-8"'


def oauth_error(status: int, error: str, description: str | None = None) -> JSONResponse:
    body = {"error": error} | ({"error_description": description} if description else {})
    headers = dict(NO_STORE)
    if status == 401:
        headers["WWW-Authenticate"] = REALM
    if status == 503:
        headers["Retry-After"] = "1"
    return JSONResponse(body, status_code=status, headers=headers)


class OAuthErrors(SurfaceErrors):
    request_id_header = TRACE_HEADER
    # First match wins: the grant-type refusal is an InvalidInputError, so it comes first.
    table = (
        (UnsupportedGrantTypeError, 400, "unsupported_grant_type"),
        (e.AuthenticationError, 401, "invalid_client"),
    )
    http_codes = _HTTP_CODES
    other_code = "invalid_request"
    internal_code = "server_error"

    def envelope(self, status: int, message: Any, code: str) -> Response:
        # A 5xx says nothing more than its code: no internals reach a client.
        return oauth_error(status, code, None if status >= 500 else str(message))

    def validation(self, request: Request, exc: RequestValidationError) -> Response:
        problems = []
        for error in exc.errors():
            field = ".".join(str(p) for p in error.get("loc", ())[1:]) or "body"
            problems.append(f"{field}: {clean_message(dict(error))}")
        return oauth_error(400, "invalid_request", "; ".join(problems))


ERRORS = OAuthErrors()

"""OAuth 2.0's error form for ``POST /oauth2/token`` (RFC 6749 §5.2), not JSON:API.

``{"error": "<code>", "error_description": "..."}``: ``invalid_request`` (400) for a
missing or doubled parameter, ``unsupported_grant_type`` (400) for any grant but
``client_credentials``, ``invalid_client`` (401, with ``WWW-Authenticate: Basic``) when
client authentication fails. Every answer says ``Cache-Control: no-store``: a token
response must not be cached, and neither should the failures around it.
"""

from __future__ import annotations

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from rolegate.api.ctrlhub.errors import TRACE_HEADER
from rolegate.api.validation import clean_message
from rolegate.rbac import errors as e
from rolegate.rbac.ctrlhub.service_accounts import UnsupportedGrantTypeError

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
REALM = 'Basic realm="rolegate", charset="UTF-8"'


def oauth_error(status: int, error: str, description: str | None = None) -> JSONResponse:
    body = {"error": error} | ({"error_description": description} if description else {})
    headers = dict(NO_STORE)
    if status == 401:
        headers["WWW-Authenticate"] = REALM
    return JSONResponse(body, status_code=status, headers=headers)


class OAuthErrors:
    request_id_header = TRACE_HEADER

    def domain(self, request: Request, exc: e.RbacError) -> Response:
        if isinstance(exc, UnsupportedGrantTypeError):
            return oauth_error(400, "unsupported_grant_type", exc.message)
        if isinstance(exc, e.AuthenticationError):
            return oauth_error(401, "invalid_client", exc.message)
        return oauth_error(400, "invalid_request", exc.message)

    def validation(self, request: Request, exc: RequestValidationError) -> Response:
        problems = []
        for error in exc.errors():
            field = ".".join(str(p) for p in error.get("loc", ())[1:]) or "body"
            problems.append(f"{field}: {clean_message(dict(error))}")
        return oauth_error(400, "invalid_request", "; ".join(problems))

    def http(self, request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code >= 500:
            return oauth_error(exc.status_code, "server_error")
        return oauth_error(exc.status_code, "invalid_request", str(exc.detail))

    def unavailable(self, request: Request) -> Response:
        response = oauth_error(503, "temporarily_unavailable")
        response.headers["Retry-After"] = "1"
        return response

    def unexpected(self, request: Request) -> Response:
        return oauth_error(500, "server_error")


ERRORS = OAuthErrors()

"""The one table from failure to CSP status and envelope.

Envelope (``CspErrorResponse``): ``{"statusCode", "message", "errorCode", "cspErrorCode",
"moduleCode", "requestId"}``; the same request id is in the ``csp-request-id`` header.
A 400 names the offending field in ``message`` (``organizationRoles.rolesToAdd[0].name:
…``), so a human reading a CLI's output knows what to fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from rolegate.api.responses import ORJSONBody
from rolegate.api.surface_errors import SurfaceErrors
from rolegate.api.validation import body_path, clean_message
from rolegate.context import request_id_var
from rolegate.rbac import errors as e
from rolegate.rbac.csp.auth import InvalidGrantError

# The module code of every rolegate CSP error (the 413 the middleware renders uses 0 too).
MODULE_CODE = 0

# (error class, status, errorCode); the first match wins, so subclasses first.
ERROR_TABLE: list[tuple[type[e.RbacError], int, str]] = [
    (InvalidGrantError, 400, "INVALID_GRANT"),
    (e.AuthenticationError, 401, "UNAUTHORIZED"),
    (e.PermissionBoundaryError, 403, "FORBIDDEN"),
    (e.PermissionDeniedError, 403, "FORBIDDEN"),
    (e.NotFoundError, 404, "NOT_FOUND"),
    (e.InvalidInputError, 400, "INVALID_REQUEST"),
    (e.ConflictError, 409, "CONFLICT"),
    (e.BadRequestError, 400, "BAD_REQUEST"),
]

_HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    409: "CONFLICT",
    412: "PRECONDITION_FAILED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "UNPROCESSABLE_ENTITY",
    429: "TOO_MANY_REQUESTS",
    503: "SERVICE_UNAVAILABLE",
}


class CspErrorResponse(BaseModel):
    """CSP's error envelope (documented for every route)."""

    statusCode: int
    message: str
    errorCode: str
    cspErrorCode: str
    moduleCode: int
    requestId: str


def envelope(status: int, message: str, code: str) -> Response:
    body = CspErrorResponse(
        statusCode=status,
        message=message,
        errorCode=code,
        cspErrorCode=code,
        moduleCode=MODULE_CODE,
        requestId=request_id_var.get() or "",
    )
    return ORJSONBody(body.model_dump(), status_code=status)


def dotted(path: Sequence[Any]) -> str:
    """``["serviceRoles", 0, "rolesToAdd", 1, "name"]`` → ``serviceRoles[0].rolesToAdd[1].name``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _issues_message(issues: Sequence[tuple[Sequence[Any], str]]) -> str:
    return "; ".join(f"{dotted(path)}: {message}" if path else message for path, message in issues)


class CspErrors(SurfaceErrors):
    request_id_header = "csp-request-id"
    table = ERROR_TABLE
    http_codes = _HTTP_CODES
    other_code = "ERROR"
    internal_code = "INTERNAL_SERVER_ERROR"

    def envelope(self, status: int, message: Any, code: str) -> Response:
        return envelope(status, str(message), code)

    def domain(self, request: Request, exc: e.RbacError) -> Response:
        if isinstance(exc, e.InvalidInputError):
            status, code = self.classify(exc)
            issues = [(i.get("path", []), str(i["message"])) for i in exc.issues]
            return envelope(status, _issues_message(issues), code)
        return super().domain(request, exc)

    def validation(self, request: Request, exc: RequestValidationError) -> Response:
        issues: list[tuple[Sequence[Any], str]] = []
        for error in exc.errors():
            loc = list(error.get("loc", ()))
            where = loc[0] if loc else "body"
            path = body_path(loc) if where == "body" else loc[1:]
            if error.get("type") == "json_invalid":
                issues.append(([], "The request body is not valid JSON"))
            else:
                issues.append((path, clean_message(error)))
        return envelope(400, "Invalid request: " + _issues_message(issues), "INVALID_REQUEST")


ERRORS = CspErrors()


def not_authenticated() -> Response:
    return envelope(
        401,
        "Authentication required: send the access token in the csp-auth-token header"
        " (or Authorization: Bearer)",
        "UNAUTHORIZED",
    )

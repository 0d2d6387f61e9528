"""The one table from failure to Infisical status and envelope.

Envelope: ``{"reqId", "statusCode", "message", "error"}`` (+ ``details`` for boundary
errors). ``message`` is a list of issues for 422 ValidationFailure.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from rolegate.api.responses import ORJSONBody
from rolegate.api.surface_errors import SurfaceErrors
from rolegate.api.validation import zod_issues
from rolegate.context import request_id_var
from rolegate.rbac import errors as e

# (error class, status, Infisical error name); the first match wins, so subclasses first.
ERROR_TABLE: list[tuple[type[e.RbacError], int, str]] = [
    (e.InvalidCredentialsError, 401, "UnauthorizedError"),
    (e.AuthenticationError, 401, "TokenError"),
    (e.PermissionBoundaryError, 403, "PermissionBoundaryError"),
    (e.PermissionDeniedError, 403, "PermissionDenied"),
    (e.NotFoundError, 404, "NotFound"),
    (e.InvalidInputError, 422, "ValidationFailure"),
    (e.ConflictError, 400, "BadRequest"),
    (e.BadRequestError, 400, "BadRequest"),
]

_HTTP_NAMES = {
    400: "BadRequest",
    401: "UnauthorizedError",
    403: "PermissionDenied",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    409: "Conflict",
    412: "PreconditionFailed",
    413: "PayloadTooLarge",
    415: "UnsupportedMediaType",
    422: "ValidationFailure",
    429: "RateLimitExceeded",
    503: "ServiceUnavailable",
}


class InfisicalIssue(BaseModel):
    code: str
    message: str
    path: list[str | int]


class InfisicalError(BaseModel):
    """Infisical's error envelope (documented for every route)."""

    reqId: str
    statusCode: int
    message: str | list[InfisicalIssue]
    error: str
    details: dict[str, Any] | None = None


def envelope(
    status: int, message: Any, error: str, details: dict[str, Any] | None = None
) -> Response:
    body: dict[str, Any] = {
        "reqId": request_id_var.get() or "",
        "statusCode": status,
        "message": message,
        "error": error,
    }
    if details:
        body["details"] = details
    return ORJSONBody(body, status_code=status)


class InfisicalErrors(SurfaceErrors):
    request_id_header = "x-request-id"
    table = ERROR_TABLE
    http_codes = _HTTP_NAMES
    other_code = "Error"
    internal_code = "InternalServerError"

    def envelope(self, status: int, message: Any, code: str) -> Response:
        return envelope(status, message, code)

    def domain(self, request: Request, exc: e.RbacError) -> Response:
        status, name = self.classify(exc)
        if isinstance(exc, e.InvalidInputError):
            return envelope(status, exc.issues, name)
        return envelope(status, exc.message, name, exc.details or None)

    def validation(self, request: Request, exc: RequestValidationError) -> Response:
        return envelope(422, zod_issues(exc.errors()), "ValidationFailure")


ERRORS = InfisicalErrors()


def token_missing() -> Response:
    return envelope(401, "Token missing", "UnauthorizedError")

"""The one table from failure to ctrl-hub status and JSON:API error document.

Every failure, validation included, is ``{"errors": [{"id", "status": "<code>", "title",
"detail", "source": {"pointer"}}], "jsonapi": {"version": "1.0"}}`` with
``application/vnd.api+json``; ``id`` is the request's trace id (also the ``X-Trace-Id``
header). A 500 carries no detail.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from rolegate.api.surface_errors import SurfaceErrors
from rolegate.api.validation import clean_message
from rolegate.context import request_id_var
from rolegate.rbac import errors as e

MEDIA_TYPE = "application/vnd.api+json"
TRACE_HEADER = "X-Trace-Id"

# (error class, status, title); the first match wins, so subclasses first. The title is
# the status's reason phrase, as JSON:API error objects carry it.
ERROR_TABLE: list[tuple[type[e.RbacError], int, str]] = [
    (e.AuthenticationError, 401, "Unauthorized"),
    (e.PermissionBoundaryError, 403, "Forbidden"),
    (e.PermissionDeniedError, 403, "Forbidden"),
    (e.NotFoundError, 404, "Not Found"),
    (e.InvalidInputError, 400, "Bad Request"),
    (e.ConflictError, 409, "Conflict"),
    (e.BadRequestError, 400, "Bad Request"),
]


class JsonApiResponse(JSONResponse):
    """``application/vnd.api+json`` rendered with orjson (a JSONResponse, so OpenAPI shows
    the response model)."""

    media_type = MEDIA_TYPE

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


class DocumentError(StarletteHTTPException):
    """A JSON:API document rule broken by the request (409 type/id mismatch, ...)."""

    def __init__(self, status_code: int, detail: str, pointer: str | None = None) -> None:
        super().__init__(status_code, detail)
        self.pointer = pointer


def escape(token: object) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer(path: Sequence[Any]) -> str:
    return "".join(f"/{escape(part)}" for part in path)


def core_pointer(path: Sequence[Any]) -> str:
    """A core issue path (``["bindings", 0, "role"]``) → where it sits in the document."""
    parts = list(path)
    if parts and parts[0] == "members":
        return pointer(["data", *parts[1:2], "id"])
    return pointer(["data", "attributes", *parts])


def error_object(
    status: int,
    detail: str | None,
    *,
    title: str | None = None,
    source: Mapping[str, str] | None = None,
    meta: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    obj: dict[str, Any] = {"status": str(status), "title": title or _title(status)}
    trace = request_id_var.get()
    if trace:
        obj = {"id": trace, **obj}
    if detail is not None:
        obj["detail"] = detail
    if source:
        obj["source"] = dict(source)
    if meta:
        obj["meta"] = dict(meta)
    return obj


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def document(
    status: int, errors: list[dict[str, Any]], headers: Mapping[str, str] | None = None
) -> Response:
    response = JsonApiResponse(
        {"errors": errors, "jsonapi": {"version": "1.0"}}, status_code=status
    )
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="ctrl-hub"'
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def single(status: int, detail: str | None, **kwargs: Any) -> Response:
    return document(status, [error_object(status, detail, **kwargs)])


def _validation_error(error: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
    loc = list(error.get("loc", ()))
    kind = str(error.get("type", ""))
    where, rest = (loc[0], loc[1:]) if loc else ("body", [])
    if kind == "json_invalid":
        return 400, error_object(400, "The request body is not valid JSON")
    if where == "path":
        return 404, error_object(404, "No such resource: a path segment is not a valid id")
    if where in ("query", "header"):
        name = str(rest[0]) if rest else ""
        key = "parameter" if where == "query" else "header"
        return 400, error_object(400, clean_message(dict(error)), source={key: name})
    if not rest and kind == "missing":
        return 400, error_object(
            400,
            "The request body must be a JSON:API document with a top-level data member",
            source={"pointer": "/data"},
        )
    detail = clean_message(dict(error))
    return 400, error_object(400, detail, source={"pointer": pointer(rest)})


# ctrl-hub titles an error by its status's reason phrase.
_REASON_PHRASES = {status.value: status.phrase for status in HTTPStatus}


class CtrlHubErrors(SurfaceErrors):
    request_id_header = TRACE_HEADER
    table = ERROR_TABLE
    http_codes = _REASON_PHRASES
    other_code = "Error"
    internal_code = "Internal Server Error"

    def envelope(self, status: int, message: Any, code: str) -> Response:
        return single(status, message, title=code)

    def domain(self, request: Request, exc: e.RbacError) -> Response:
        status, _ = self.classify(exc)
        if isinstance(exc, e.InvalidInputError):
            return document(
                400,
                [
                    error_object(
                        400, str(i["message"]), source={"pointer": core_pointer(i["path"])}
                    )
                    for i in exc.issues
                ],
            )
        details = dict(exc.details)
        path = details.pop("path", None)
        source = {"pointer": core_pointer(path)} if path else None
        return single(status, exc.message, source=source, meta=details or None)

    def validation(self, request: Request, exc: RequestValidationError) -> Response:
        rendered = [_validation_error(err) for err in exc.errors()]
        # A bad path id means "no such resource", whatever else is wrong.
        status = 404 if any(code == 404 for code, _ in rendered) else 400
        return document(status, [obj for code, obj in rendered if code == status])

    def http(self, request: Request, exc: StarletteHTTPException) -> Response:
        # A JSON:API document rule (DocumentError) points at the member at fault.
        ptr = getattr(exc, "pointer", None)
        return document(
            exc.status_code,
            [
                error_object(
                    exc.status_code,
                    str(exc.detail),
                    source={"pointer": ptr} if ptr is not None else None,
                )
            ],
            headers=exc.headers,
        )

    def unexpected(self, request: Request) -> Response:
        return single(500, None, title=self.internal_code)  # a 500 carries no detail


ERRORS = CtrlHubErrors()

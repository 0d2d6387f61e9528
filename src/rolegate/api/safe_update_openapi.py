"""The safe-update parameters and response headers, as OpenAPI entries.

``If-None-Match`` documents itself: it is a parameter of the ``READ_ETAG`` dependency.
``If-Match``, ``Idempotency-Key`` and ``dryRun`` are read from the request by ``SafeWrite``
(declared parameters cost FastAPI time per request to solve, sent or not), so a PATCH
that takes ``SafeWrite`` lists them with ``openapi_extra=SAFE_WRITE_OPENAPI``; the entries
are what FastAPI generated when they were declared parameters. A dependency cannot
declare a response header either, so a route that sets an ETag also lists one of the
``*_ETAG_RESPONSES`` in its ``responses=``. ``tests/api/test_openapi.py`` checks both.
"""

from __future__ import annotations

from typing import Any, Final

from pydantic import TypeAdapter

from rolegate.api.safe_update import (
    DRY_RUN,
    DRY_RUN_TYPE,
    IDEMPOTENCY_KEY,
    IDEMPOTENCY_KEY_TYPE,
    IF_MATCH,
    IF_MATCH_TYPE,
)


def _parameter(
    name: str, where: str, adapter: TypeAdapter[Any], description: str, **schema: Any
) -> dict[str, Any]:
    # The shape FastAPI gives an optional declared parameter: pydantic's title of the
    # name, the description both on the parameter and in its schema.
    return {
        "name": name,
        "in": where,
        "required": False,
        "schema": {
            **adapter.json_schema(),
            "description": description,
            **schema,
            "title": name.title(),
        },
        "description": description,
    }


#: A PATCH that takes ``SafeWrite`` (merged into the operation; after its path parameters).
SAFE_WRITE_OPENAPI: Final[dict[str, Any]] = {
    "parameters": [
        _parameter(
            DRY_RUN,
            "query",
            DRY_RUN_TYPE,
            "Validate, check permissions and return the would-be result; write nothing.",
            default=False,
        ),
        _parameter(
            IF_MATCH,
            "header",
            IF_MATCH_TYPE,
            "Apply the change only if the resource's current ETag is listed (412 otherwise).",
        ),
        _parameter(
            IDEMPOTENCY_KEY,
            "header",
            IDEMPOTENCY_KEY_TYPE,
            "Replay the first response to this key (per credential) for 24 h;"
            " the same key with a different request is a 422.",
        ),
    ]
}

_READ_ETAG: Final = {
    "description": "Strong ETag of this representation (a hash of the body): `If-None-Match`"
    " with it answers 304 while nothing changed; a resource's PATCH takes it in `If-Match`.",
    "schema": {"type": "string"},
}
_WRITE_ETAG: Final = {
    "description": "Strong ETag of the resource after the change: the one its GET now"
    " shows (not sent on a dry run).",
    "schema": {"type": "string"},
}

#: A GET that lists ``READ_ETAG`` in its dependencies.
READ_ETAG_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    200: {"headers": {"ETag": _READ_ETAG}},
    304: {
        "description": "Not Modified: `If-None-Match` lists the current ETag; no body.",
        "headers": {"ETag": _READ_ETAG},
    },
}

#: A PATCH that takes ``SafeWrite``.
WRITE_ETAG_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    200: {"headers": {"ETag": _WRITE_ETAG}},
}

"""The safe-update response headers, as OpenAPI ``responses=`` entries.

``If-Match``, ``Idempotency-Key``, ``dryRun`` and ``If-None-Match`` document themselves:
they are parameters of the ``SafeWrite`` and ``READ_ETAG`` dependencies. A dependency
cannot declare a response header, so a route that sets an ETag also lists one of these
in its ``responses=`` (``tests/api/test_openapi.py`` checks that they go together).
"""

from __future__ import annotations

from typing import Any, Final

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

"""The base of every surface's error rendering: a vendor brings its table and envelope.

Every failure a route can meet reaches the client through one :class:`SurfaceErrors`
(the route class picks the surface's): a domain error (looked up in the vendor's table,
first match wins), a validation error, an HTTP error (404, 405, 412, 429 ...), the
database away (503) and anything unexpected (500). A vendor's ``errors.py`` says how its
envelope looks and which status and code each domain error gets; the dispatch, the
fallbacks and the messages every surface shares are written here once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from rolegate.rbac.errors import RbacError

UNAVAILABLE = "The database is unavailable; try again shortly"
UNEXPECTED = "Something went wrong; the request id is in the server log"


class SurfaceErrors(ABC):
    """How one vendor dialect renders failures.

    ``table`` maps a domain error class to ``(status, code)`` where ``code`` is the
    vendor's name for the error (Infisical ``error``, CSP ``errorCode``); ``http_codes``
    names the statuses that come from the HTTP layer. A subclass writes :meth:`envelope`
    and :meth:`validation`, and overrides the rest only where its vendor differs.
    """

    request_id_header: ClassVar[str]
    table: ClassVar[Sequence[tuple[type[RbacError], int, str]]]
    http_codes: ClassVar[Mapping[int, str]]
    #: The code of a status ``http_codes`` does not name.
    other_code: ClassVar[str]
    #: The code of a 500.
    internal_code: ClassVar[str]

    @abstractmethod
    def envelope(self, status: int, message: Any, code: str) -> Response:
        """The vendor's error body for ``status`` with ``message`` and ``code``."""

    @abstractmethod
    def validation(self, request: Request, exc: RequestValidationError) -> Response:
        """A request that failed validation, in the vendor's shape (issue lists differ)."""

    def classify(self, exc: RbacError) -> tuple[int, str]:
        """The table's ``(status, code)`` for ``exc``; an error no row names is a 400."""
        for cls, status, code in self.table:
            if isinstance(exc, cls):
                return status, code
        return 400, self.http_codes[400]

    def domain(self, request: Request, exc: RbacError) -> Response:
        status, code = self.classify(exc)
        return self.envelope(status, exc.message, code)

    def http(self, request: Request, exc: StarletteHTTPException) -> Response:
        status = exc.status_code
        return self.envelope(status, str(exc.detail), self.http_codes.get(status, self.other_code))

    def unavailable(self, request: Request) -> Response:
        return self.envelope(503, UNAVAILABLE, self.http_codes[503])

    def unexpected(self, request: Request) -> Response:
        return self.envelope(500, UNEXPECTED, self.internal_code)

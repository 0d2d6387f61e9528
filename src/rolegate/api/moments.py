"""The ``?at=`` query parameter of the CSP and ctrl-hub explain routes (shared, pure).

A moment is epoch seconds (CSP's unit for ``expiresAt``) or an RFC 3339 timestamp with a
zone (``Z`` or an offset). A bad value fails pydantic validation at ``("query", "at")``,
so each surface renders it in its own envelope (CSP 400 ``at: …``; ctrl-hub 400 with
``source.parameter: "at"``).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import PlainValidator, WithJsonSchema

from rolegate.rbac.moments import OutsideCalendarError, to_utc

# datetime cannot hold year 10000 (the same bound CSP's expiresAt has).
MAX_EPOCH_SECONDS = 253402300799
_EPOCH = re.compile(r"^\d{1,12}$")
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
MESSAGE = (
    "at must be epoch seconds or an RFC 3339 timestamp with a time zone"
    " (e.g. 1767225600 or 2026-01-01T00:00:00Z; write a + offset as %2B)"
)


def parse_moment(value: Any) -> dt.datetime:
    """``"1767225600"`` or ``"2026-01-01T00:00:00Z"`` → an aware UTC datetime inside the
    supported calendar (``rbac.moments``)."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return _in_calendar(value)
    if not isinstance(value, str):
        raise ValueError(MESSAGE)
    if _EPOCH.match(value):
        seconds = int(value)
        if seconds > MAX_EPOCH_SECONDS:
            raise ValueError(MESSAGE)
        return dt.datetime.fromtimestamp(seconds, dt.UTC)
    if not _RFC3339.match(value):
        raise ValueError(MESSAGE)
    try:
        parsed = dt.datetime.fromisoformat(value.upper())
    except ValueError as exc:  # e.g. 2026-02-30
        raise ValueError(MESSAGE) from exc
    return _in_calendar(parsed)


def _in_calendar(moment: dt.datetime) -> dt.datetime:
    try:
        return to_utc(moment)
    except OutsideCalendarError as exc:
        raise ValueError(f"at {exc}") from exc


#: A validated ``at`` query value; None when absent (the caller uses "now").
Moment = Annotated[
    dt.datetime | None,
    PlainValidator(lambda v: None if v is None else parse_moment(v)),
    WithJsonSchema(
        {
            "type": "string",
            "description": "Epoch seconds or an RFC 3339 timestamp with a zone; default now",
            "examples": ["1767225600", "2026-01-01T00:00:00Z"],
        }
    ),
]

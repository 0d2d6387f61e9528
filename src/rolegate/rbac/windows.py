"""The temporary-access window: how it is built, validated, and when it is open. Once.

Every time-bounded grant (an Infisical temporary role or privilege, a CSP role with
``expiresAt``, a seeded temporary grant) is stored as ``starts_at`` / ``ends_at``, either
bound open. A grant is open at ``T`` when ``starts_at <= T < ends_at``. Infisical's own
server ignores the start of a relative window; rolegate does not, so a window that starts
tomorrow grants nothing today.

The Python predicate (:func:`is_open_at`) and the SQL one (:func:`open_at_sql`) sit side
by side so they cannot drift: changing what "open" means is a change to this module only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import and_, or_
from sqlalchemy.sql.elements import ColumnElement

from rolegate.rbac.durations import InvalidDurationError, parse_ms_duration
from rolegate.rbac.moments import OutsideCalendarError, shifted, to_utc

#: The only ``temporaryMode`` Infisical defines.
RELATIVE = "relative"


@dataclass(frozen=True, slots=True)
class WindowProblem:
    """What is wrong with a window; ``field`` names the wire field at fault."""

    field: str
    message: str


class InvalidWindowError(ValueError):
    """A window that cannot be stored, with every problem found (a client fixes them in one
    round trip). Each surface renders it in its own envelope; the seed loader as a SeedError."""

    def __init__(self, problems: list[WindowProblem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = problems


def _invalid(field: str, message: str) -> InvalidWindowError:
    return InvalidWindowError([WindowProblem(field, message)])


@dataclass(frozen=True, slots=True)
class TemporaryWindow:
    """``isTemporary`` and, when true, a relative window ``[start, start + range)``."""

    is_temporary: bool
    temporary_mode: str | None = None
    temporary_range: str | None = None
    start: dt.datetime | None = None


#: The stored columns of a permanent grant.
PERMANENT: dict[str, Any] = {
    "is_temporary": False,
    "temporary_mode": None,
    "temporary_range": None,
    "starts_at": None,
    "ends_at": None,
}


def relative_bounds(range_text: str, start: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """``[start, start + range)`` in UTC.

    Raises :class:`InvalidWindowError` for a bad range, a start without a zone, or a window
    that leaves the calendar (before year 1 or past year 9999 in UTC).
    """
    if start.tzinfo is None:
        raise _invalid("temporaryAccessStartTime", "The start time needs a time zone")
    try:
        millis = parse_ms_duration(range_text)
    except InvalidDurationError as exc:
        raise _invalid("temporaryRange", str(exc)) from exc
    try:
        begins = to_utc(start)  # 0001-01-01T00:00:00+14:00 is before year 1 in UTC
    except OutsideCalendarError as exc:
        raise _invalid("temporaryAccessStartTime", f"The start time {exc}") from exc
    try:
        ends = shifted(begins, dt.timedelta(milliseconds=millis))
    except OutsideCalendarError as exc:
        raise _invalid("temporaryRange", f"The end of the window {exc}") from exc
    return begins, ends


def window_columns(window: TemporaryWindow) -> dict[str, Any]:
    """The stored columns of a window. A temporary one needs ``temporaryMode: relative``,
    a range and a start; every missing or bad field is reported, not only the first."""
    if not window.is_temporary:
        return dict(PERMANENT)
    problems: list[WindowProblem] = []
    if window.temporary_mode != RELATIVE:
        problems.append(WindowProblem("temporaryMode", "Temporary mode must be 'relative'"))
    if not window.temporary_range:
        problems.append(WindowProblem("temporaryRange", "Required"))
    if window.start is None:
        problems.append(WindowProblem("temporaryAccessStartTime", "Required"))
    if not problems and window.start is not None and window.temporary_range:
        try:
            starts_at, ends_at = relative_bounds(window.temporary_range, window.start)
        except InvalidWindowError as exc:
            problems.extend(exc.problems)
        else:
            return {
                "is_temporary": True,
                "temporary_mode": window.temporary_mode,
                "temporary_range": window.temporary_range,
                "starts_at": starts_at,
                "ends_at": ends_at,
            }
    raise InvalidWindowError(problems)


def is_open_at(starts: dt.datetime | None, ends: dt.datetime | None, at: dt.datetime) -> bool:
    """``starts <= at < ends`` with open bounds; the Python twin of :func:`open_at_sql`."""
    return (starts is None or starts <= at) and (ends is None or at < ends)


def open_at_sql(starts: Any, ends: Any, at: Any) -> ColumnElement[bool]:
    """SQL for ``starts <= at < ends`` with open bounds; the twin of :func:`is_open_at`."""
    return and_(or_(starts.is_(None), starts <= at), or_(ends.is_(None), ends > at))


class TemporaryRowFields(Protocol):
    """A row with Infisical's temporary-access window (role assignments, privileges)."""

    @property
    def is_temporary(self) -> bool: ...
    @property
    def temporary_mode(self) -> str | None: ...
    @property
    def temporary_range(self) -> str | None: ...
    @property
    def starts_at(self) -> dt.datetime | None: ...
    @property
    def ends_at(self) -> dt.datetime | None: ...
    @property
    def created_at(self) -> dt.datetime: ...
    @property
    def updated_at(self) -> dt.datetime: ...

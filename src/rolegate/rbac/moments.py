"""Moments rolegate can store, compare and send back: the calendar's bounds, in one place.

Python's datetime holds years 1 to 9999, and a valid RFC 3339 time can fall outside that
once it is converted to UTC (``0001-01-01T00:00:00+14:00`` is in year 0), as can a start
plus a range (``9999-12-31T00:00:00Z`` plus ``1y``). Converting either raises
``OverflowError``, which no surface maps to a 4xx. asyncpg, the driver, also sends the
very first and the very last microsecond of that calendar as PostgreSQL's ``-infinity``
and ``infinity`` and reads them back as naive datetimes, so those two instants cannot be
stored as moments either. Every parser of a moment (``at=``, ``since=``, a window's start)
and the window arithmetic go through :func:`to_utc` and :func:`shifted`, which raise
:class:`OutsideCalendarError`, a ``ValueError`` each caller reports on its own field.
"""

from __future__ import annotations

import datetime as dt

#: The supported moments lie strictly between these two (see the module doc).
CALENDAR_START = dt.datetime.min.replace(tzinfo=dt.UTC)
CALENDAR_END = dt.datetime.max.replace(tzinfo=dt.UTC)

CALENDAR_MESSAGE = "must be after 0001-01-01T00:00:00Z and before 9999-12-31T23:59:59.999999Z"


class OutsideCalendarError(ValueError):
    """A moment whose UTC value is not inside the supported calendar."""

    def __init__(self) -> None:
        super().__init__(CALENDAR_MESSAGE)


def _checked(moment: dt.datetime) -> dt.datetime:
    if not CALENDAR_START < moment < CALENDAR_END:
        raise OutsideCalendarError
    return moment


def to_utc(moment: dt.datetime) -> dt.datetime:
    """``moment`` (aware) in UTC; :class:`OutsideCalendarError` when that is not in the
    supported calendar. A naive moment is a programming error (``ValueError``)."""
    offset = moment.utcoffset()
    if offset is None:
        raise ValueError("a moment needs a time zone")
    try:
        # Not astimezone: that goes through the platform's local-time functions for some
        # tzinfo types and fails differently on each side of the calendar.
        utc = (moment.replace(tzinfo=None) - offset).replace(tzinfo=dt.UTC)
    except OverflowError as exc:
        raise OutsideCalendarError from exc
    return _checked(utc)


def shifted(moment: dt.datetime, delta: dt.timedelta) -> dt.datetime:
    """``moment + delta`` in UTC, inside the supported calendar (or the error)."""
    start = to_utc(moment)
    try:
        return _checked(start + delta)
    except OverflowError as exc:
        raise OutsideCalendarError from exc

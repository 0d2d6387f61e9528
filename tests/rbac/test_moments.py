"""The supported calendar: moments strictly between its first and last instant, in UTC."""

from __future__ import annotations

import datetime as dt

import pytest

from rolegate.rbac.moments import OutsideCalendarError, shifted, to_utc

PLUS_14 = dt.timezone(dt.timedelta(hours=14))
MINUS_14 = dt.timezone(dt.timedelta(hours=-14))


@pytest.mark.parametrize(
    "moment",
    [
        dt.datetime(1, 1, 1, tzinfo=PLUS_14),  # year 0 in UTC
        dt.datetime(9999, 12, 31, 23, tzinfo=MINUS_14),  # year 10000 in UTC
        dt.datetime.min.replace(tzinfo=dt.UTC),  # the driver's -infinity
        dt.datetime.max.replace(tzinfo=dt.UTC),  # the driver's infinity
    ],
)
def test_moments_outside_the_calendar_are_refused(moment: dt.datetime) -> None:
    with pytest.raises(OutsideCalendarError):
        to_utc(moment)


def test_a_moment_inside_is_returned_in_utc() -> None:
    moment = dt.datetime(1, 1, 1, 14, 0, 1, tzinfo=PLUS_14)
    assert to_utc(moment) == dt.datetime(1, 1, 1, 0, 0, 1, tzinfo=dt.UTC)
    assert to_utc(moment).tzinfo is dt.UTC


@pytest.mark.parametrize("days", [1, 10**6])
def test_a_shift_past_the_end_is_refused(days: int) -> None:
    with pytest.raises(OutsideCalendarError):
        shifted(dt.datetime(9999, 12, 31, tzinfo=dt.UTC), dt.timedelta(days=days))


def test_a_shift_inside_is_kept() -> None:
    start = dt.datetime(9999, 12, 30, tzinfo=dt.UTC)
    assert shifted(start, dt.timedelta(days=1)) == dt.datetime(9999, 12, 31, tzinfo=dt.UTC)


def test_a_naive_moment_is_a_programming_error_not_a_calendar_one() -> None:
    with pytest.raises(ValueError, match="time zone") as raised:
        to_utc(dt.datetime(2026, 1, 1))  # noqa: DTZ001
    assert not isinstance(raised.value, OutsideCalendarError)

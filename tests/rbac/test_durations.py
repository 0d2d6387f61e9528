"""temporaryRange durations: exactly what the npm ``ms`` package (2.1) parses."""

from __future__ import annotations

import pytest

from rolegate.rbac.durations import MAX_DURATION_MS, InvalidDurationError, parse_ms_duration

SECOND = 1000
HOUR = 3600 * SECOND
DAY = 24 * HOUR


# Expected values are ms(text) from the npm package itself.
@pytest.mark.parametrize(
    ("text", "millis"),
    [
        ("30s", 30 * SECOND),
        ("15m", 15 * 60 * SECOND),
        ("1h", HOUR),
        ("1d", DAY),
        ("2w", 14 * DAY),
        ("1y", 31_557_600_000),  # a year is 365.25 days
        ("1.5h", 5_400_000),
        (".5h", 1_800_000),
        ("1 day", DAY),
        ("1  h", HOUR),  # any number of spaces between number and unit
        ("2 Weeks", 14 * DAY),
        ("1HR", HOUR),
        ("1yr", 31_557_600_000),
        ("3 mins", 180 * SECOND),
        ("1msec", 1),
        ("100", 100),  # a bare number is milliseconds
        ("1 ", 1),  # ms allows the space before a missing unit
    ],
)
def test_parses_what_ms_parses(text: str, millis: int) -> None:
    assert parse_ms_duration(text) == millis


def test_fractional_milliseconds_round_half_up() -> None:
    assert parse_ms_duration("1.5") == 2
    assert parse_ms_duration("2.5ms") == 3


@pytest.mark.parametrize(
    "text",
    [
        "0",
        "-0",
        "-1h",
        "",
        "abc",
        "1h ",  # ms does not trim: trailing text after the unit fails its regex
        " 1h",
        "1\n",
        "5.",
        "1e3",
        "1,5h",
        "1 fortnight",
        "\u0661h",  # an Arabic-Indic digit: JavaScript's \d is ASCII only
        "1\u017f",  # long s: JavaScript's /i does not fold it to "s"
        "0.4",  # positive for ms, but no timestamp can add less than 1 ms
        "1" * 101,  # ms refuses input over 100 characters
    ],
)
def test_rejects_what_is_not_a_positive_ms_duration(text: str) -> None:
    with pytest.raises(InvalidDurationError) as caught:
        parse_ms_duration(text)
    assert str(caught.value) == "Temporary range must be a positive number"


def test_rejects_ranges_beyond_a_millennium() -> None:
    assert parse_ms_duration("1000y") == MAX_DURATION_MS
    with pytest.raises(InvalidDurationError, match="1000 years"):
        parse_ms_duration("1001y")


def test_error_is_a_value_error() -> None:
    assert issubclass(InvalidDurationError, ValueError)

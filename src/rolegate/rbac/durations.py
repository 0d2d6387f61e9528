"""Durations in the npm ``ms`` format, as Infisical's ``temporaryRange`` takes them.

Infisical validates a range with ``ms(value) > 0``, so this parser accepts exactly what
``ms`` 2.1 parses and nothing else: no trimming (``"1h "`` is invalid, while ``"1 "`` is
one millisecond, because ``ms`` allows spaces only between number and unit), ASCII
digits only, units case-insensitive, a bare number means milliseconds and a year is
365.25 days. The grammar is transcribed rather than taken from a library because
compatibility is the point and the Python parsers differ: pytimeparse returns seconds
and takes another grammar; python-ms (the PyPI "port" of ms) also takes months, "wk",
joke units and a random-valued "jiffy".
"""

from __future__ import annotations

import re
from typing import Final

_SECOND: Final = 1000.0
_MINUTE: Final = 60 * _SECOND
_HOUR: Final = 60 * _MINUTE
_DAY: Final = 24 * _HOUR
_WEEK: Final = 7 * _DAY
_YEAR: Final = 365.25 * _DAY

_UNITS: Final[dict[str, float]] = {
    **dict.fromkeys(("milliseconds", "millisecond", "msecs", "msec", "ms"), 1.0),
    **dict.fromkeys(("seconds", "second", "secs", "sec", "s"), _SECOND),
    **dict.fromkeys(("minutes", "minute", "mins", "min", "m"), _MINUTE),
    **dict.fromkeys(("hours", "hour", "hrs", "hr", "h"), _HOUR),
    **dict.fromkeys(("days", "day", "d"), _DAY),
    **dict.fromkeys(("weeks", "week", "w"), _WEEK),
    **dict.fromkeys(("years", "year", "yrs", "yr", "y"), _YEAR),
}

# ms's own regex. fullmatch replaces its ^…$ (Python's $ would also accept a trailing
# newline); re.ASCII keeps \d and IGNORECASE to ASCII, as JavaScript's do without /u.
_PATTERN: Final = re.compile(
    r"(-?(?:\d+)?\.?\d+) *(milliseconds?|msecs?|ms|seconds?|secs?|s|minutes?|mins?|m"
    r"|hours?|hrs?|h|days?|d|weeks?|w|years?|yrs?|y)?",
    re.IGNORECASE | re.ASCII,
)

# ms gives up on longer input (a guard against regex work on hostile strings).
_MAX_INPUT_LENGTH: Final = 100
# Not an ms rule: a range must still fit on the calendar once added to "now", and
# datetime stops at year 9999, so anything beyond a millennium is refused up front.
MAX_DURATION_MS: Final = int(1000 * _YEAR)

POSITIVE_MESSAGE: Final = "Temporary range must be a positive number"


class InvalidDurationError(ValueError):
    """The text is not a positive ``ms`` duration; ``str()`` is the client-facing message."""


def parse_ms_duration(text: str) -> int:
    """Milliseconds in ``text``, rounded to the nearest whole millisecond.

    Raises :class:`InvalidDurationError` for empty, unparsable, zero or negative input
    (including a fraction that rounds to 0 ms, which no timestamp can express), and
    for durations over :data:`MAX_DURATION_MS`.
    """
    if not isinstance(text, str) or not text or len(text) > _MAX_INPUT_LENGTH:
        raise InvalidDurationError(POSITIVE_MESSAGE)
    match = _PATTERN.fullmatch(text)
    if match is None:
        raise InvalidDurationError(POSITIVE_MESSAGE)
    number, unit = match.group(1), match.group(2) or "ms"
    millis = float(number) * _UNITS[unit.lower()]
    # Half-up rather than Python's banker's rounding, so 2.5 ms is 3 ms as people expect.
    rounded = int(millis + 0.5) if millis > 0 else 0
    if rounded <= 0:
        raise InvalidDurationError(POSITIVE_MESSAGE)
    if rounded > MAX_DURATION_MS:
        raise InvalidDurationError("Temporary range must not exceed 1000 years")
    return rounded

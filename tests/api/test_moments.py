"""``?at=`` on the CSP and ctrl-hub explain routes: epoch seconds or RFC 3339 with a zone."""

from __future__ import annotations

import datetime as dt

import pytest

from rolegate.api.moments import parse_moment

NEW_YEAR = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "raw",
    [
        "1767225600",
        "2026-01-01T00:00:00Z",
        "2026-01-01t00:00:00z",
        "2026-01-01T01:00:00+01:00",
        "2025-12-31T19:00:00.000-05:00",
    ],
)
def test_reads_epoch_seconds_and_rfc3339_as_utc(raw: str) -> None:
    parsed = parse_moment(raw)
    assert parsed == NEW_YEAR and parsed.tzinfo == dt.UTC


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "-1",
        "1.5",
        "2026-01-01",
        "2026-01-01T00:00:00",
        "2026-01-01 00:00:00Z",
        "2026-13-01T00:00:00Z",
        "253402300800",
        1767225600,
    ],
)
def test_refuses_anything_else(raw: object) -> None:
    with pytest.raises(ValueError, match="epoch seconds or an RFC 3339"):
        parse_moment(raw)

"""The test clock: read, advanced, set, frozen, back to real time; bad moves are 422."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest


def _at(body: dict[str, object]) -> dt.datetime:
    return dt.datetime.fromisoformat(str(body["now"]).replace("Z", "+00:00"))


async def test_the_clock_is_real_time_until_moved(tm_client: httpx.AsyncClient) -> None:
    body = (await tm_client.get("/_rolegate/clock")).json()
    assert body["simulated"] is False and body["frozen"] is False
    assert abs((_at(body) - dt.datetime.now(dt.UTC)).total_seconds()) < 5
    assert abs(body["offsetSeconds"]) < 1


async def test_advance_moves_the_clock_and_each_advance_adds_up(
    tm_client: httpx.AsyncClient,
) -> None:
    first = await tm_client.post("/_rolegate/clock", json={"advance": "2h"})
    assert first.status_code == 200
    await tm_client.post("/_rolegate/clock", json={"advance": "30m"})
    body = (await tm_client.get("/_rolegate/clock")).json()
    assert body["simulated"] is True and body["frozen"] is False
    assert body["offsetSeconds"] == pytest.approx(9000, abs=1)
    assert abs((_at(body) - dt.datetime.now(dt.UTC)).total_seconds() - 9000) < 5


async def test_a_frozen_clock_stands_still_until_advanced(tm_client: httpx.AsyncClient) -> None:
    moved = await tm_client.post(
        "/_rolegate/clock", json={"now": "2030-01-01T00:00:00Z", "frozen": True}
    )
    assert moved.status_code == 200
    assert _at(moved.json()) == dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    assert _at((await tm_client.get("/_rolegate/clock")).json()) == _at(moved.json())
    advanced = await tm_client.post("/_rolegate/clock", json={"advance": "1d"})
    assert _at(advanced.json()) == dt.datetime(2030, 1, 2, tzinfo=dt.UTC)
    assert advanced.json()["frozen"] is True


async def test_a_clock_set_without_frozen_runs_on_from_there(
    tm_client: httpx.AsyncClient,
) -> None:
    moved = await tm_client.post("/_rolegate/clock", json={"now": "2020-06-01T12:00:00+02:00"})
    assert moved.json()["frozen"] is False
    assert abs((_at(moved.json()) - dt.datetime(2020, 6, 1, 10, tzinfo=dt.UTC)).total_seconds()) < 5


async def test_delete_returns_the_clock_to_real_time(tm_client: httpx.AsyncClient) -> None:
    await tm_client.post("/_rolegate/clock", json={"advance": "7d"})
    body = (await tm_client.delete("/_rolegate/clock")).json()
    assert body["simulated"] is False
    assert abs((_at(body) - dt.datetime.now(dt.UTC)).total_seconds()) < 5


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"advance": "1h", "now": "2030-01-01T00:00:00Z"},
        {"advance": "soon"},
        {"advance": "-1h"},
        {"now": "2030-01-01T00:00:00"},  # no zone
        {"advance": "1h", "frozen": True},
        {"advance": "1h", "extra": 1},
    ],
)
async def test_a_bad_move_is_422_and_leaves_the_clock(
    tm_client: httpx.AsyncClient, body: dict[str, object]
) -> None:
    response = await tm_client.post("/_rolegate/clock", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "ValidationFailure"
    assert (await tm_client.get("/_rolegate/clock")).json()["simulated"] is False

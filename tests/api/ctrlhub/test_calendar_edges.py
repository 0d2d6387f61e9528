"""Moments at the edge of the calendar are JSON:API 400s, on every ctrl-hub route that
takes one (``at=``)."""

from __future__ import annotations

import httpx
import pytest

from tests.api.ctrlhub.conftest import ENGINEERING, MEMBER, ORG, assert_error, headers

pytestmark = pytest.mark.usefixtures("world")

USER = f"/v3/orgs/{ORG}/iam/users/{MEMBER}/effective-bindings"
EXPLAIN = f"/v3/orgs/{ORG}/iam/groups/{ENGINEERING}/bindings/explain"
AT = {
    "before year 1": "0001-01-01T00:00:00+14:00",  # 0000-12-31T10:00:00Z
    "after year 9999": "9999-12-31T23:59:59-14:00",  # 10000-01-01T13:59:59Z
    "epoch past 9999": "253402300800",  # 10000-01-01T00:00:00Z
}
ROUTES = {
    "effective bindings": (USER, {}),
    "bindings explain": (EXPLAIN, {"user_id": MEMBER}),
}


@pytest.mark.parametrize("at", AT.values(), ids=AT.keys())
@pytest.mark.parametrize(("url", "params"), ROUTES.values(), ids=ROUTES.keys())
async def test_a_moment_outside_the_calendar_is_400_naming_at(
    client: httpx.AsyncClient, url: str, params: dict[str, str], at: str
) -> None:
    response = await client.get(url, params={**params, "at": at}, headers=headers())

    body = assert_error(response, 400)
    assert body["errors"][0]["source"] == {"parameter": "at"}
    assert body["errors"][0]["detail"].startswith("at must")

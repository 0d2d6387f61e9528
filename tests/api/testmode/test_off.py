"""With test mode off (the default) none of the /_rolegate routes exists."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.cli import demo_seed_path
from rolegate.config import Settings
from rolegate.rbac.testmode import clock
from rolegate.rbac.testmode.models import JournaledRequest
from rolegate.seed.loader import load_seed, read_seed_file
from tests.api.testmode.conftest import BACKEND, CI_ADMIN
from tests.conftest import infisical_token

ROUTES = [
    ("GET", "/_rolegate/clock"),
    ("POST", "/_rolegate/clock"),
    ("DELETE", "/_rolegate/clock"),
    ("POST", "/_rolegate/reset"),
    ("GET", "/_rolegate/snapshots"),
    ("POST", "/_rolegate/snapshots"),
    ("POST", "/_rolegate/snapshots/seed/restore"),
    ("GET", "/_rolegate/requests"),
    ("DELETE", "/_rolegate/requests"),
    ("POST", "/_rolegate/tokens/infisical"),
    ("POST", "/_rolegate/tokens/csp"),
    ("POST", "/_rolegate/tokens/ctrlhub"),
]


def test_test_mode_is_off_by_default() -> None:
    assert Settings().test_mode is False


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_every_test_mode_route_is_404_when_test_mode_is_off(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await client.request(method, path, json={"advance": "1h", "name": "x"})
    assert response.status_code == 404
    # The envelope any unrouted path outside the surfaces' prefixes gets.
    unrouted = await client.request(method, "/no-such-path")
    assert response.json().keys() == unrouted.json().keys()
    assert response.json()["error"] == "NotFound"


async def test_openapi_has_no_test_mode_paths_when_test_mode_is_off(
    client: httpx.AsyncClient,
) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert paths  # the surfaces are there
    assert not [p for p in paths if p.startswith("/_rolegate")]


async def test_openapi_documents_the_test_mode_paths_when_test_mode_is_on(
    tm_client: httpx.AsyncClient,
) -> None:
    paths = (await tm_client.get("/openapi.json")).json()["paths"]
    assert {"/_rolegate/clock", "/_rolegate/reset", "/_rolegate/requests"} <= set(paths)


async def test_requests_are_not_journaled_when_test_mode_is_off(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await client.get("/api/v2/workspace/00000000-0000-4000-8000-000000000401/groups")
    assert await session.scalar(select(func.count()).select_from(JournaledRequest)) == 0


async def test_with_test_mode_off_the_clock_row_is_never_read(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await load_seed(session, read_seed_file(demo_seed_path()))
    await clock.advance(session, dt.timedelta(days=1000))  # would expire every token
    auth = {"Authorization": f"Bearer {await infisical_token(session, settings, CI_ADMIN)}"}
    response = await client.get(f"/api/v2/workspace/{BACKEND}/groups", headers=auth)
    assert response.status_code == 200, response.text

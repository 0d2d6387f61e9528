"""An app in test mode, inside the test's rolled-back transaction (snapshots are schemas
created in that transaction, and go with it)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from rolegate.cli import demo_seed_path
from rolegate.config import Settings
from rolegate.main import create_app
from rolegate.rbac.testmode import snapshots
from rolegate.seed.loader import load_seed, read_seed_file

ORG = "0b6f3a52-1d1e-4c61-9a63-000000000001"
CI_ADMIN = "0b6f3a52-1d1e-4c61-9a63-000000000201"
DEPLOY_BOT = "0b6f3a52-1d1e-4c61-9a63-000000000202"
ENGINEERING = "0b6f3a52-1d1e-4c61-9a63-000000000301"
BACKEND = "0b6f3a52-1d1e-4c61-9a63-000000000401"
OWNER = "owner@acme.test"
DEV = "dev@acme.test"


@pytest.fixture
def test_mode_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"test_mode": True})


@pytest.fixture
async def tm_client(
    test_mode_settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[httpx.AsyncClient]:
    """An app in test mode over an empty store."""
    app = create_app(test_mode_settings, engine=engine)
    app.state.sessionmaker = sessionmaker
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://rolegate.test"
    ) as client:
        yield client


@pytest.fixture
async def seeded(
    tm_client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> httpx.AsyncClient:
    """``tm_client`` over the demo seed, its seed snapshot taken as ``serve`` takes it."""
    async with sessionmaker() as session:
        await load_seed(session, read_seed_file(demo_seed_path()))
        await snapshots.take(session, snapshots.SEED)
        await session.commit()
    return tm_client


async def token(client: httpx.AsyncClient, surface: str, **body: str) -> str:
    response = await client.post(f"/_rolegate/tokens/{surface}", json=body)
    assert response.status_code == 200, response.text
    return str(response.json()["token"])

"""Shared helpers of the reliability tests; the fixtures here use the Infisical world.

The mechanisms under test are generic (route class, middleware, dependencies). Endpoint A
has its own detailed tests (test_safe_update.py); the safe-update contract of B-E runs
from safe_update_contract.py, one test module per surface.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from rolegate.config import Settings
from rolegate.main import create_app
from rolegate.rbac.models import AuditEvent
from tests.api.infisical.conftest import ENGINEERING, PROJECT, Tokens, tokens
from tests.conftest import bearer

__all__ = ["Tokens", "tokens"]

URL = f"/api/v2/workspace/{PROJECT}/groups/{ENGINEERING}"


def app_client(
    settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    **overrides: Any,
) -> httpx.AsyncClient:
    """A client for an app built with changed settings, inside the test's rollback."""
    app = create_app(settings.model_copy(update=overrides), engine=engine)
    app.state.sessionmaker = sessionmaker
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://rolegate.test"
    )


@pytest.fixture
async def read_roles(client: httpx.AsyncClient, tokens: Tokens) -> Any:
    async def read() -> list[str]:
        response = await client.get(URL, headers=bearer(tokens.admin))
        assert response.status_code == 200, response.text
        return [r["role"] for r in response.json()["groupMembership"]["roles"]]

    return read


async def audit_count(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(AuditEvent))).scalar_one())


@pytest.fixture
async def fresh_session(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    async with sessionmaker() as session:
        yield session

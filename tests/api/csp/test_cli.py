"""``rolegate token csp --user EMAIL`` prints an access token a CSP client can use."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from rolegate.cli import app
from rolegate.config import Settings, get_settings
from tests.api.csp.conftest import WORLD, csp, roles_url
from tests.conftest import seed_into

pytestmark = pytest.mark.committed


@pytest.fixture
def cli_env(
    monkeypatch: pytest.MonkeyPatch, database_url: str, settings: Settings
) -> Iterator[None]:
    monkeypatch.setenv("ROLEGATE_DATABASE_URL", database_url)
    # The CLI must sign with the key the test app verifies with.
    assert settings.auth.jwt_secret is not None
    monkeypatch.setenv("ROLEGATE_AUTH__JWT_SECRET", settings.auth.jwt_secret.get_secret_value())
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def test_token_csp_prints_a_working_access_token(
    committed: dict[str, Any], cli_env: None
) -> None:
    async with committed["sessionmaker"]() as session:
        await seed_into(session, WORLD)
    runner = CliRunner()

    result = await asyncio.to_thread(
        runner.invoke, app, ["token", "csp", "--user", "owner@acme.test"]
    )

    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    response = await committed["client"].get(roles_url(), headers=csp(token))
    assert response.status_code == 200, response.text


async def test_token_csp_for_an_unknown_user_fails_with_a_message(
    committed: dict[str, Any], cli_env: None
) -> None:
    result = await asyncio.to_thread(
        CliRunner().invoke, app, ["token", "csp", "--user", "nobody@acme.test"]
    )

    assert result.exit_code == 1
    assert "No user with e-mail nobody@acme.test" in result.output

"""``rolegate token ctrlhub --user EMAIL`` mints a working session token, stored hashed."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from rolegate.cli import app
from rolegate.config import Settings, get_settings
from rolegate.db import create_engine, create_sessionmaker
from rolegate.rbac.actors import Actor
from rolegate.rbac.ctrlhub import sessions as session_tokens
from tests.api.ctrlhub.conftest import OWNER, WORLD

pytestmark = pytest.mark.committed


def test_cli_mints_a_session_token_that_authenticates(
    committed: dict[str, Any],  # real commits; tables emptied afterwards
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ROLEGATE_DATABASE_URL", database_url)
    get_settings.cache_clear()
    seed_file = tmp_path / "world.yaml"
    seed_file.write_text(yaml.safe_dump(WORLD))
    runner = CliRunner()
    try:
        seeded = runner.invoke(app, ["seed", str(seed_file)])
        assert seeded.exit_code == 0, seeded.output
        minted = runner.invoke(app, ["token", "ctrlhub", "--user", "owner@acme.test"])
        assert minted.exit_code == 0, minted.output
        unknown = runner.invoke(app, ["token", "ctrlhub", "--user", "nobody@acme.test"])
        bad_ttl = runner.invoke(
            app, ["token", "ctrlhub", "--user", "owner@acme.test", "--ttl", "soon"]
        )
    finally:
        get_settings.cache_clear()
    token = minted.stdout.strip()
    assert token.startswith("ses_") and len(token) > 40
    assert unknown.exit_code == 1
    assert bad_ttl.exit_code == 2

    async def authenticate() -> Actor:
        engine = create_engine(Settings(), database_url)
        try:
            async with create_sessionmaker(engine)() as session:
                return await session_tokens.authenticate(session, token, dt.datetime.now(dt.UTC))
        finally:
            await engine.dispose()

    # Its own loop and engine: the CLI committed for real, outside the test's transaction.
    actor = asyncio.run(authenticate())
    assert str(actor.id) == OWNER and actor.surface == "ctrlhub"

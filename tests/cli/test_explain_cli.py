"""``rolegate explain``: the table and the JSON document, against committed data."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

import pytest
from typer.testing import CliRunner

from rolegate import cli_explain
from rolegate.cli import app
from rolegate.config import Settings
from rolegate.seed.loader import load_seed, parse_seed
from tests.rbac.explain_world import DEPLOY_BOT, PROJECT, world

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


@pytest.fixture
async def seeded(
    committed: dict[str, Any], database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with committed["sessionmaker"]() as session:
        await load_seed(session, parse_seed(world(NOW)))
        await session.commit()
    settings = Settings(database_url=database_url, log_level="warning")
    monkeypatch.setattr(cli_explain, "get_settings", lambda: settings)


async def invoke(*args: str) -> Any:
    # The command runs its own event loop (asyncio.run), so give it a thread of its own.
    return await asyncio.to_thread(CliRunner().invoke, app, ["explain", *args])


@pytest.mark.committed
@pytest.mark.usefixtures("seeded")
async def test_table_shows_rule_source_window_active_and_override() -> None:
    result = await invoke("--project", "payments", "--identity", "deploy-bot")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"identity deploy-bot ({DEPLOY_BOT}) in project payments")
    assert lines[2].split() == ["RULE", "SOURCE", "WINDOW", "ACTIVE", "OVERRIDDEN"]
    hotfix_read = next(
        line for line in lines if "additional privilege hotfix" in line and "allow read" in line
    )
    assert (
        "yes" in hotfix_read and "fully: read by additional privilege no-prod-reads" in hotfix_read
    )
    member = next(line for line in lines if "direct role member" in line)
    assert " no " in member and "→" in member
    viewer = next(line for line in lines if "direct role viewer" in line)
    assert "permanent" in viewer


@pytest.mark.committed
@pytest.mark.usefixtures("seeded")
async def test_json_is_the_api_document_and_at_moves_the_clock() -> None:
    later = (NOW + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    result = await invoke("--project", PROJECT, "--user", "dana@acme.test", "--at", later, "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["principal"]["name"] == "dana@acme.test"
    assert document["at"] == later.replace("Z", ".000Z")
    assert {s["label"] for s in document["sources"]} == {
        "direct role viewer",
        "group Engineering's role member",
        "group Engineering's role prod-guard",
    }


@pytest.mark.committed
@pytest.mark.usefixtures("seeded")
@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--project", "payments"], 2, "exactly one of"),
        (["--project", "payments", "--identity", "x", "--user", "y"], 2, "exactly one of"),
        (["--project", "payments", "--identity", "deploy-bot", "--at", "tomorrow"], 2, "RFC 3339"),
        (["--project", "nope", "--identity", "deploy-bot"], 1, "Failed to find project"),
        (["--project", "payments", "--identity", "ghost"], 1, "Failed to find identity ghost"),
    ],
)
async def test_bad_arguments_exit_non_zero_with_a_message(
    args: list[str], code: int, message: str
) -> None:
    result = await invoke(*args)
    assert result.exit_code == code
    assert message in result.output

"""Every migration runs up and down, and the models match the migrated schema (no drift)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from rolegate import migrations
from rolegate.config import Settings
from rolegate.db import Base, create_engine
from tests.conftest import _recreate_database, _server_url


@pytest.fixture(scope="module")
async def scratch_engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    import os

    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    url = await _recreate_database(_server_url(), f"rolegate_migrations_{worker}")
    engine = create_engine(settings, url, pool_size=1, max_overflow=0)
    yield engine
    await engine.dispose()


async def test_stairway_every_revision_goes_up_and_down(scratch_engine: AsyncEngine) -> None:
    script = ScriptDirectory.from_config(migrations.alembic_config())
    revisions = list(reversed(list(script.walk_revisions())))
    for revision in revisions:
        await migrations.upgrade(scratch_engine, revision.revision)
        await migrations.downgrade(scratch_engine, revision.down_revision or "base")
        await migrations.upgrade(scratch_engine, revision.revision)
    assert await migrations.current_revision(scratch_engine) == migrations.head_revision()


def test_the_codes_head_is_the_scripts_head() -> None:
    # /readyz and serve's start read migrations.HEAD instead of the scripts: a migration
    # added without moving it would leave serve skipping it on a database one behind.
    assert migrations.head_revision() == migrations.HEAD


async def test_serve_migrates_a_database_one_behind_and_skips_one_at_head(
    scratch_engine: AsyncEngine,
) -> None:
    script = ScriptDirectory.from_config(migrations.alembic_config())
    previous = script.get_revision(migrations.HEAD).down_revision
    assert isinstance(previous, str)
    await migrations.upgrade(scratch_engine, previous)
    await migrations.upgrade(scratch_engine)
    assert await migrations.current_revision(scratch_engine) == migrations.HEAD
    await migrations.upgrade(scratch_engine)  # at head: one query, no Alembic
    assert await migrations.current_revision(scratch_engine) == migrations.HEAD


async def test_models_and_migrations_do_not_drift(scratch_engine: AsyncEngine) -> None:
    await migrations.upgrade(scratch_engine)

    def diff(connection: object) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})  # type: ignore[arg-type]
        return list(compare_metadata(context, Base.metadata))

    async with scratch_engine.connect() as connection:
        assert await connection.run_sync(diff) == []
        tables = await connection.scalar(
            text("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
        )
    assert tables == len(Base.metadata.tables) + 1  # + alembic_version

"""Run Alembic from inside rolegate (serve, migrate, tests) over an async engine.

Alembic is imported only when there is something to migrate: ``rolegate serve`` on a
database already at ``HEAD`` (every start but the first) checks that with one query and
never loads it, its scripts or their templates (cold start is timed to ``/readyz``,
docs/performance.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Connection

# The schema revision this build's code reads and writes: the head of migrations/versions/.
# A new migration moves it (tests/migrations/test_migrations.py fails until it does).
HEAD = "0008"


def _project_root() -> Path:
    # From a checkout (pip install -e .) the migrations sit beside src/; in the Docker image
    # they sit in the working directory next to the installed package.
    checkout = Path(__file__).resolve().parents[2]
    for candidate in (checkout, Path.cwd()):
        if (candidate / "migrations" / "env.py").is_file():
            return candidate
    raise RuntimeError("cannot find the migrations/ folder (run rolegate from its checkout)")


def alembic_config() -> Config:
    from alembic.config import Config

    root = _project_root()
    cfg = Config(str(root / "alembic.ini"))
    cfg.set_main_option("script_location", str(root / "migrations"))
    return cfg


def _upgrade(connection: Connection, revision: str) -> None:
    from alembic import command

    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)


def _downgrade(connection: Connection, revision: str) -> None:
    from alembic import command

    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.downgrade(cfg, revision)


async def _stored_revision(connection: AsyncConnection) -> str | None:
    """The database's revision, None for a database Alembic never ran on."""
    if await connection.scalar(text("SELECT to_regclass('alembic_version')")) is None:
        return None
    revision: str | None = await connection.scalar(text("SELECT version_num FROM alembic_version"))
    return revision


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    if revision == "head":
        async with engine.connect() as connection:
            if await _stored_revision(connection) == HEAD:
                return
    async with engine.begin() as connection:
        # One migrator at a time, even with several replicas starting together.
        await connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7340328)")
        await connection.run_sync(_upgrade, revision)


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(_downgrade, revision)


def head_revision() -> str | None:
    """The scripts' head, as Alembic reads migrations/versions/ (``HEAD`` is its copy)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _current(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(_current)

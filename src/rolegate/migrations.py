"""Run Alembic from inside rolegate (serve, migrate, tests) over an async engine."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine


def _project_root() -> Path:
    # From a checkout (pip install -e .) the migrations sit beside src/; in the Docker image
    # they sit in the working directory next to the installed package.
    checkout = Path(__file__).resolve().parents[2]
    for candidate in (checkout, Path.cwd()):
        if (candidate / "migrations" / "env.py").is_file():
            return candidate
    raise RuntimeError("cannot find the migrations/ folder (run rolegate from its checkout)")


def alembic_config() -> Config:
    root = _project_root()
    cfg = Config(str(root / "alembic.ini"))
    cfg.set_main_option("script_location", str(root / "migrations"))
    return cfg


def _upgrade(connection: Connection, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)


def _downgrade(connection: Connection, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.downgrade(cfg, revision)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    async with engine.begin() as connection:
        # One migrator at a time, even with several replicas starting together.
        await connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7340328)")
        await connection.run_sync(_upgrade, revision)


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(_downgrade, revision)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(_current)

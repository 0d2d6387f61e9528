"""Process-level plumbing shared by the CLI commands: database URL, engine, migrations."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from rolegate import migrations
from rolegate.config import Settings
from rolegate.db import create_engine, create_sessionmaker
from rolegate.embedded import resolve_database_url

T = TypeVar("T")


class Runtime:
    """Holds the resolved database URL and, for the embedded default, the server handle.

    Keeping the handle alive keeps this process registered with pgserver; when the last
    registered process exits, pgserver stops the server it started.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url, self.embedded = resolve_database_url(settings)

    @asynccontextmanager
    async def engine(self, **overrides: Any) -> AsyncIterator[AsyncEngine]:
        engine = create_engine(self.settings, self.url, **overrides)
        try:
            yield engine
        finally:
            await engine.dispose()

    async def migrate(self) -> None:
        async with self.engine(pool_size=1, max_overflow=0) as engine:
            await migrations.upgrade(engine)

    async def in_transaction(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        async with (
            self.engine(pool_size=1, max_overflow=0) as engine,
            create_sessionmaker(engine)() as session,
            session.begin(),
        ):
            return await work(session)


def run(coro: Awaitable[T]) -> T:
    async def main() -> T:
        return await coro

    return asyncio.run(main())

"""Reads on ``ROLEGATE_DATABASE_READ_URL``: which routes may use it, and the way back to
the primary when it is not there (docs/scaling.md, "Read scaling").

A route reads from the replica when it only reads: its methods are GET/HEAD, or it is
marked :data:`READ_ONLY` (a POST that answers a question, like Infisical's
permission-check). Everything else, including every read inside a write (If-Match checks,
idempotency lookups, row locks), runs on the primary. The route class decides once per
route (``SurfaceRoute.replica_reads`` lets a whole route class opt out: the test-mode
routes stay on the primary).

A replica that fails a read (unreachable, shutting down, pool exhausted, statement
timeout) is skipped for ``ROLEGATE_DB__READ_RETRY_SECONDS``; the read is served by the
primary meanwhile, so losing the replica costs capacity, never answers.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from rolegate.config import Settings
from rolegate.db import create_read_engine, create_sessionmaker

#: ``openapi_extra`` of a POST that reads and writes nothing (an explain question).
READ_ONLY: dict[str, Any] = {"x-rolegate-read-only": True}
READ_METHODS = frozenset({"GET", "HEAD"})


def reads_only(route: APIRoute) -> bool:
    """True when every request ``route`` answers is a read that feeds no write."""
    if route.openapi_extra and route.openapi_extra.get("x-rolegate-read-only"):
        return True
    methods = route.methods or set()
    return bool(methods) and methods <= READ_METHODS


@dataclass(slots=True)
class ReadReplica:
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    retry_seconds: float
    down_until: float = 0.0

    def available(self) -> bool:
        return time.monotonic() >= self.down_until

    def failed(self) -> None:
        self.down_until = time.monotonic() + self.retry_seconds


def open_replica(settings: Settings) -> ReadReplica | None:
    """The replica's engine and sessions, or None when no read URL is set. Connects lazily."""
    if not settings.database_read_url:
        return None
    engine = create_read_engine(settings, settings.database_read_url)
    return ReadReplica(engine, create_sessionmaker(engine), settings.db.read_retry_seconds)


def of(app: FastAPI) -> ReadReplica | None:
    replica: ReadReplica | None = getattr(app.state, "read_replica", None)
    return replica


async def probe(app: FastAPI, seconds: float) -> str | None:
    """/readyz's look at the replica: ``ok``, ``unreachable`` (then skipped by reads for
    the retry interval), or None when there is none. Bounded by ``seconds``: a replica
    that does not answer must not make the readiness check itself time out."""
    replica = of(app)
    if replica is None:
        return None
    try:
        async with asyncio.timeout(seconds), replica.engine.connect() as connection:
            await connection.scalar(text("SELECT 1"))
    except Exception:
        replica.failed()
        return "unreachable"
    return "ok"

"""Operations endpoints: liveness, readiness, Prometheus metrics."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from rolegate import migrations, supervision
from rolegate.api import metrics as m
from rolegate.api import replica
from rolegate.rbac import guards

router = APIRouter(tags=["Operations"])
log = logging.getLogger("rolegate.api")
# A load balancer's health check often gives up after 1 s; the replica's look must not
# spend it (a replica that does not answer is reported unreachable, not waited for).
REPLICA_PROBE_SECONDS = 0.5


class Health(BaseModel):
    status: str
    database: str | None = None


class Readiness(BaseModel):
    status: str
    database: str
    migration: str | None = None
    expected: str | None = None
    # With ROLEGATE_DATABASE_READ_URL: "ok" or "unreachable". Informational: reads fall
    # back to the primary, so a replica alone never makes the server unready.
    replica: str | None = None


@router.get(
    "/healthz",
    summary="The process is up (and can still bring back the embedded database it owns)",
    responses={503: {"model": Health}},
)
async def healthz(response: Response) -> Health:
    # A database outage alone is /readyz's business (503 until it is back); only an
    # embedded database this process owns and failed to restart makes it unhealthy.
    if supervision.embedded_database_lost():
        response.status_code = 503
        return Health(status="unhealthy", database="embedded database could not be restarted")
    return Health(status="ok")


@router.get(
    "/readyz",
    summary="The database is reachable and migrated to head",
    responses={503: {"model": Readiness}},
)
async def readyz(request: Request, response: Response) -> Readiness:
    engine: AsyncEngine = request.app.state.engine
    head: str | None = request.app.state.migration_head
    # Twice: a pooled connection the database dropped fails once and invalidates the pool
    # (there is no pre-ping); the second try gets a fresh connection.
    for attempt in (1, 2):
        try:
            async with engine.connect() as connection:
                current = await connection.scalar(text("SELECT version_num FROM alembic_version"))
            break
        except Exception:
            if attempt == 2:
                response.status_code = 503
                return Readiness(status="unavailable", database="unreachable", expected=head)
    if current != head:
        response.status_code = 503
        return Readiness(status="migrating", database="ok", migration=current, expected=head)
    state = await replica.probe(request.app, REPLICA_PROBE_SECONDS)
    return Readiness(status="ok", database="ok", migration=current, expected=head, replica=state)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
async def metrics(request: Request) -> Response:
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    try:
        async with sessionmaker() as session:
            m.OUTBOX_BACKLOG.set(await guards.outbox_backlog(session))
    except Exception:
        # A scrape during an outage still reports everything else (and the stale backlog).
        log.warning("outbox backlog unavailable for this scrape", exc_info=True)
    body, content_type = m.render()
    return Response(body, media_type=content_type)


def current_head() -> str | None:
    # The code's copy of the scripts' head: reading the scripts would load Alembic into
    # every worker on its way to its first /readyz.
    return migrations.HEAD

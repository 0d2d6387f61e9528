"""Operations endpoints: liveness, readiness, Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, Gauge, generate_latest
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from rolegate import migrations

router = APIRouter(tags=["Operations"])

POOL_IN_USE = Gauge("rolegate_db_pool_connections_in_use", "Database connections checked out")
POOL_SIZE = Gauge("rolegate_db_pool_size", "Database pool size")


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    database: str
    migration: str | None = None
    expected: str | None = None


@router.get("/healthz", summary="The process is up")
async def healthz() -> Health:
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
    return Readiness(status="ok", database="ok", migration=current, expected=head)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    pool = request.app.state.engine.pool
    POOL_IN_USE.set(pool.checkedout())
    POOL_SIZE.set(pool.size())
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def current_head() -> str | None:
    return migrations.head_revision()

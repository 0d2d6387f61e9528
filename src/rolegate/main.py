"""The ASGI application: ``create_app()`` wires settings, database and the three surfaces."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.exceptions import HTTPException as StarletteHTTPException

from rolegate import __version__, outbox_worker
from rolegate.api import metrics, ops, replica
from rolegate.api.csp import errors as csp_errors
from rolegate.api.csp.router import router as csp_router
from rolegate.api.ctrlhub import errors as ctrlhub_errors
from rolegate.api.ctrlhub.router import router as ctrlhub_router
from rolegate.api.infisical import errors as infisical_errors
from rolegate.api.infisical.router import router as infisical_router
from rolegate.api.middleware import RequestContextMiddleware
from rolegate.api.route_table import adopt_routes
from rolegate.api.surface_errors import SurfaceErrors
from rolegate.api.testmode.journal_middleware import JournalMiddleware
from rolegate.config import Settings, get_settings, resolve_jwt_secret, resolve_secret_hash_key
from rolegate.context import request_id_var
from rolegate.db import create_engine, create_sessionmaker
from rolegate.logs import configure_logging
from rolegate.rbac.secrets import SecretHasher, SecretVerifier
from rolegate.rbac.tokens import TokenCodec


def token_codec(settings: Settings) -> TokenCodec:
    return TokenCodec(
        secret=resolve_jwt_secret(settings),
        algorithm=settings.auth.jwt_algorithm,
        issuer=settings.auth.issuer,
    )


def secret_hasher(settings: Settings) -> SecretHasher:
    return SecretHasher(key=resolve_secret_hash_key(settings))


def create_app(
    settings: Settings | None = None,
    *,
    database_url: str | None = None,
    engine: AsyncEngine | None = None,
) -> FastAPI:
    """Build the app. ``engine`` lets tests share theirs; otherwise the lifespan opens one."""
    settings = settings or get_settings()
    configure_logging(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_engine = engine is None
        url = database_url or settings.database_url
        if engine is None and url is None:
            raise RuntimeError("create_app needs a database_url or ROLEGATE_DATABASE_URL")
        active = engine or create_engine(settings, url or "")
        app.state.engine = active
        app.state.sessionmaker = create_sessionmaker(active)
        worker = outbox_worker.start_worker(app.state.sessionmaker, settings)
        metrics.instrument_pool(active)
        app.state.read_replica = replica.open_replica(settings)
        try:
            yield
        finally:
            if app.state.read_replica is not None:
                await app.state.read_replica.engine.dispose()
            if worker is not None:
                await worker.stop()
            app.state.secrets.close()
            if own_engine:
                await active.dispose()

    app = FastAPI(
        title="rolegate",
        version=__version__,
        summary="Infisical, VMware CSP and ctrl-hub role/group APIs over one RBAC store",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.tokens = token_codec(settings)
    app.state.secrets = SecretVerifier(
        secret_hasher(settings), settings.auth.secret_hash_concurrency
    )
    app.state.migration_head = ops.current_head()
    app.state.read_replica = None  # the lifespan opens ROLEGATE_DATABASE_READ_URL's
    if engine is not None:
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        metrics.instrument_pool(engine)
    if settings.test_mode:
        # Inside RequestContextMiddleware: a body over the limit is refused before this
        # middleware buffers it, and the journal sees the request id's context.
        app.add_middleware(JournalMiddleware, settings=settings.testing)
    app.add_middleware(RequestContextMiddleware, max_body_bytes=settings.max_body_bytes)
    # A path no route matches (404) or a method a path does not take (405) never reaches a
    # route class: answer it in the envelope of the surface the path belongs to.
    app.add_exception_handler(StarletteHTTPException, _unrouted_error)
    adopt_routes(app.router, *_routers(settings))
    return app


def _routers(settings: Settings) -> list[APIRouter]:
    routers = [ops.router, infisical_router, csp_router, ctrlhub_router]
    if settings.test_mode:
        # Imported only here: a server not in test mode never loads the /_rolegate routes
        # (~0.1 s of its start, before the fork).
        from rolegate.api.testmode.router import router as testmode_router

        routers.append(testmode_router)
    return routers


async def _unrouted_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101 - registered for it only
    path = request.url.path
    errors: SurfaceErrors = (
        csp_errors.ERRORS
        if path.startswith("/csp/")
        else ctrlhub_errors.ERRORS
        if path.startswith("/v3/")
        else infisical_errors.ERRORS
    )
    response = errors.http(request, exc)
    for name, value in (exc.headers or {}).items():  # e.g. Allow on a 405
        response.headers[name] = value
    request_id = request_id_var.get()
    if request_id:
        response.headers[errors.request_id_header] = request_id
    return response


def app_from_env() -> Any:
    """Uvicorn factory for ``--workers N``: each worker builds its app from the environment.

    A fresh ``Settings()`` (not the cached one): ``serve`` put the resolved database URL
    into the environment after its own settings were read.
    """
    settings = Settings()
    return create_app(settings, database_url=settings.database_url)

"""The route class every surface uses: one transaction per request, the surface's errors.

Why a route class and not a dependency with ``yield``: the commit must happen after the
handler returned and *before* the response is sent, so a client never sees a 200 for a
transaction that then failed to commit. The class also turns every failure into the
surface's own envelope (validation, domain, database outage, unexpected), retries a
transaction that lost a serialization race, and stamps the surface's request-id header.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, ClassVar

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from rolegate import db, db_direct
from rolegate.api import jsonlimits, ratelimit, replica
from rolegate.api.metrics import READ_FALLBACKS, TRANSACTION_RETRIES
from rolegate.api.response_docs import DeferredResponseModels
from rolegate.api.surface_errors import SurfaceErrors
from rolegate.config import Settings
from rolegate.context import pinned_now_var, request_id_var
from rolegate.rbac.errors import AuthenticationError, RbacError
from rolegate.rbac.testmode import clock

log = logging.getLogger("rolegate.api")

# SQLSTATEs worth a retry: serialization_failure and deadlock_detected. PostgreSQL under
# READ COMMITTED rarely raises them; CockroachDB and YugabyteDB raise 40001 routinely.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
# Text PostgreSQL cannot store: U+0000 in a string (22021) or in JSON text (22P05). The
# request is at fault (any string field, query parameter or form field may carry it), so
# it is a 400 in the surface's envelope, not a 500.
UNSTORABLE_TEXT_SQLSTATES = frozenset({"22021", "22P05"})


def sqlstate(error: BaseException) -> str | None:
    orig = getattr(error, "orig", None)
    for candidate in (orig, getattr(orig, "__cause__", None)):
        code = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if code:
            return str(code)
    return None


def is_database_unavailable(error: BaseException) -> bool:
    """True for failures that mean "the database is not there right now"."""
    if isinstance(error, sa_exc.TimeoutError | ConnectionError | TimeoutError):
        return True
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:
            return True
        state = sqlstate(error)
        # 08xxx connection exceptions, 57P0x shutdown/cannot-connect-now, 57014 query
        # cancelled (our statement timeout), 53300 too many connections.
        if state and (
            state.startswith("08") or state.startswith("57P") or state in {"57014", "53300"}
        ):
            return True
        return isinstance(error, sa_exc.InterfaceError | sa_exc.OperationalError) and state is None
    return isinstance(error, OSError)


def request_session(request: Request) -> AsyncSession:
    """The request's session, opened by the route class (see module docstring)."""
    session: AsyncSession = request.state.db_session
    return session


async def get_session(request: Request) -> AsyncSession:
    """``request_session`` as a dependency: ``Depends(get_session)``.

    ``async`` on purpose: FastAPI runs a plain ``def`` dependency in a worker thread, a
    thread hand-off per request for a field read (bench/README.md has the cost).
    """
    return request_session(request)


# The strings pydantic reads as ``true``: a route that declares ``dryRun: bool`` and this
# check must agree, or a ``?dryRun=yes`` would be validated as a dry run and committed.
_TRUTHY = frozenset({"1", "on", "t", "true", "y", "yes"})


def wants_dry_run(request: Request) -> bool:
    return request.query_params.get("dryRun", "").strip().lower() in _TRUTHY


@dataclass(slots=True)
class AttemptState:
    """What a handler asks of the transaction around it; reset on every retry.

    ``headers`` are added to a successful response (ETag); ``before_commit`` hooks run in
    the transaction after the handler succeeded (storing an idempotent response);
    ``unchecked_precondition`` stays True when a client sent ``If-Match`` and the handler
    never compared it (the route then fails closed with 412 instead of writing blindly).
    """

    headers: dict[str, str] = field(default_factory=dict)
    before_commit: list[Callable[[AsyncSession, Response], Awaitable[None]]] = field(
        default_factory=list
    )
    on_success: list[Callable[[Response], None]] = field(default_factory=list)
    unchecked_precondition: bool = False


def attempt_state(request: Request) -> AttemptState:
    state: AttemptState = request.state.attempt
    return state


class IdempotentReplayError(Exception):
    """Raised by a dependency to answer with a stored response instead of running."""

    def __init__(self, response: Response) -> None:
        super().__init__("idempotent replay")
        self.response = response


class SerializationExhaustedError(Exception):
    """Every attempt lost a serialization race; the client should simply retry."""


class SurfaceRoute(DeferredResponseModels):
    """Subclass per surface and set ``errors``; optionally override ``precheck``."""

    errors: ClassVar[SurfaceErrors]
    # What a request that lost every serialization retry gets: 503 + Retry-After by
    # default; a surface whose vendor documents another status (CSP: 409) overrides it.
    conflict_status: ClassVar[int] = 503
    # Whether this class's read routes may run on ROLEGATE_DATABASE_READ_URL (api/replica.py).
    replica_reads: ClassVar[bool] = True

    async def precheck(self, request: Request) -> Response | None:
        """Runs before the body is parsed (e.g. Infisical's 401 before validation)."""
        return None

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        errors = self.errors
        run = (
            self._run_read
            if self.replica_reads and replica.reads_only(self)
            else self._run_in_transaction
        )

        async def route_handler(request: Request) -> Response:
            settings: Settings = request.app.state.settings
            try:
                await ratelimit.enforce(request, settings.rate_limit)
                response = await self.precheck(request)
                if response is None:
                    await jsonlimits.enforce_depth(request, settings.safe_update.max_json_depth)
                    response = await run(request, handler, settings)
            except IdempotentReplayError as replay:
                response = replay.response
            except RbacError as exc:
                response = errors.domain(request, exc)
            except RequestValidationError as exc:
                response = errors.validation(request, exc)
            except StarletteHTTPException as exc:
                response = errors.http(request, exc)
                # Retry-After (429, 503) and the like travel on the exception.
                for name, value in (exc.headers or {}).items():
                    response.headers[name] = value
            except SerializationExhaustedError:
                log.warning("transaction lost every serialization retry")
                response = errors.http(
                    request,
                    StarletteHTTPException(
                        self.conflict_status,
                        "The request conflicted with concurrent updates; retry it",
                    ),
                )
                response.headers["Retry-After"] = "1"
            except Exception as exc:
                if isinstance(exc, sa_exc.DBAPIError) and sqlstate(exc) in (
                    UNSTORABLE_TEXT_SQLSTATES
                ):
                    response = errors.http(
                        request,
                        StarletteHTTPException(
                            400, "The request contains a character that cannot be stored (U+0000)"
                        ),
                    )
                elif is_database_unavailable(exc):
                    log.warning("database unavailable: %s", type(exc).__name__)
                    response = errors.unavailable(request)
                else:
                    log.exception("unexpected error", extra={"request_id": request_id_var.get()})
                    response = errors.unexpected(request)
            request_id = request_id_var.get()
            if request_id:
                response.headers[errors.request_id_header] = request_id
            return response

        return route_handler

    async def _run_read(
        self,
        request: Request,
        handler: Callable[[Request], Awaitable[Response]],
        settings: Settings,
    ) -> Response:
        """A read on the replica when there is one, else on the primary; on the primary
        again when the replica failed it (a read writes nothing: running it twice is safe).

        A credential the replica does not know is asked of the primary too: a token
        issued a moment ago may not have reached the replica yet, and the client must not
        get a 401 for the replica's lag. A JWT's signature is checked before the lookup,
        so a forged one costs no second look; an unknown ctrl-hub session token does.
        """
        primary = db.reads_on_primary(request.app.state.sessionmaker, settings)
        read = replica.of(request.app)
        if read is None:
            return await self._run_in_transaction(request, handler, settings, primary)
        if not read.available():
            READ_FALLBACKS.labels("skipped").inc()
            return await self._run_in_transaction(request, handler, settings, primary)
        try:
            return await self._run_in_transaction(request, handler, settings, read.sessionmaker)
        except AuthenticationError:
            READ_FALLBACKS.labels("unauthenticated").inc()
        except Exception as exc:
            if not is_database_unavailable(exc):
                raise
            read.failed()
            READ_FALLBACKS.labels("failed").inc()
            log.warning("read replica unavailable (%s): read on the primary", type(exc).__name__)
        return await self._run_in_transaction(request, handler, settings, primary)

    async def _run_in_transaction(
        self,
        request: Request,
        handler: Callable[[Request], Awaitable[Response]],
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession] | None = None,
    ) -> Response:
        sessionmaker = sessionmaker or request.app.state.sessionmaker
        max_attempts = max(1, settings.db.serialization_retries)
        attempt = 0
        reconnected = False
        while True:
            attempt += 1
            async with sessionmaker() as session:
                request.state.db_session = session
                state = request.state.attempt = AttemptState()
                finishing = False
                clock_token = None
                try:
                    if settings.test_mode:
                        # One read of the test clock per transaction, pinned for the
                        # request: deps.current_time() answers it to every caller.
                        simulated = await clock.now(session, simulated=True)
                        clock_token = pinned_now_var.set(simulated)
                    response = await handler(request)
                    finishing = True
                    if response.status_code < 400 and state.unchecked_precondition:
                        raise StarletteHTTPException(
                            412, "If-Match could not be evaluated for this request"
                        )
                    if response.status_code < 400 and not wants_dry_run(request):
                        response.headers.update(state.headers)
                        for hook in state.before_commit:
                            await hook(session, response)
                        await db_direct.commit(session)
                        for finish in state.on_success:
                            finish(response)
                    else:
                        await session.rollback()
                    return response
                except sa_exc.DBAPIError as exc:
                    await _safe_rollback(session)
                    code = sqlstate(exc)
                    if code in RETRYABLE_SQLSTATES:
                        if attempt >= max_attempts:
                            raise SerializationExhaustedError from exc
                        TRANSACTION_RETRIES.labels(code).inc()
                        log.info("retrying transaction after %s (attempt %d)", code, attempt)
                        # Jittered backoff so the losers of one race do not collide again.
                        await asyncio.sleep(random.uniform(0, 0.005 * 2**attempt))  # noqa: S311
                        continue
                    if exc.connection_invalidated and not finishing and not reconnected:
                        # A pooled connection the database had dropped (restart, failover):
                        # the transaction never reached COMMIT, so nothing was written. The
                        # pool is now invalidated; run once more on a fresh connection. This
                        # is what the pool's pre-ping did, at three round trips per request.
                        log.info("retrying transaction on a fresh connection")
                        reconnected = True
                        continue
                    raise
                finally:
                    if clock_token is not None:
                        pinned_now_var.reset(clock_token)


async def _safe_rollback(session: AsyncSession) -> None:
    try:
        await session.rollback()
    except Exception:
        log.debug("rollback failed", exc_info=True)


# What any route can answer whatever it does: a body that is not UTF-8 JSON (400), a
# missing or bad credential (401), too large (413), invalid (422), rate limited (429),
# an unexpected failure (500), the database away (503).
GENERIC_ERROR_CODES = (400, 401, 413, 422, 429, 500, 503)


def error_responses(model: Any, *codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries documenting a surface's error envelope: the generic
    statuses every route can answer plus the route's own ``codes``."""
    return {
        code: {"model": model, "description": "Error"}
        for code in sorted({*GENERIC_ERROR_CODES, *codes})
    }

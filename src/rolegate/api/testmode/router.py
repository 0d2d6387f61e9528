"""/_rolegate: the test clock, reset and snapshots, the request journal, ready tokens.

What an integration test suite needs from the server it tests against (docs/testing.md).
Mounted only with ``ROLEGATE_TEST_MODE=true``: otherwise none of these paths exists (404
from the unrouted handler, and nothing in the OpenAPI document). Errors are in the
envelope that handler gives paths outside the surfaces' prefixes (Infisical's).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from rolegate.api.deps import Session, current_time
from rolegate.api.infisical.errors import ERRORS, InfisicalError
from rolegate.api.routing import SurfaceRoute, error_responses
from rolegate.api.testmode import schemas as s
from rolegate.config import Settings
from rolegate.rbac.csp import auth as csp_auth
from rolegate.rbac.ctrlhub import sessions as session_tokens
from rolegate.rbac.durations import InvalidDurationError, parse_ms_duration
from rolegate.rbac.errors import InvalidInputError
from rolegate.rbac.infisical import universal_auth as auth_service
from rolegate.rbac.testmode import clock, journal, snapshots
from rolegate.rbac.testmode.clock import ClockRow
from rolegate.rbac.tokens import TokenCodec


class TestModeRoute(SurfaceRoute):
    errors = ERRORS
    # The clock, snapshots and journal a test just changed are read where it changed them.
    replica_reads = False


router = APIRouter(
    prefix="/_rolegate",
    route_class=TestModeRoute,
    tags=["Test mode"],
    responses=error_responses(InfisicalError, 400, 404, 422, 500, 503),
)


def _clock_response(row: ClockRow) -> s.ClockResponse:
    return s.ClockResponse(
        now=row.now.astimezone(dt.UTC),
        offsetSeconds=round((row.now - row.real).total_seconds(), 3),
        frozen=row.frozen,
        simulated=row.simulated,
    )


def _duration(text: str) -> dt.timedelta:
    try:
        return dt.timedelta(milliseconds=parse_ms_duration(text))
    except InvalidDurationError as exc:
        raise InvalidInputError(
            [{"code": "custom", "message": f"advance: {exc}", "path": ["advance"]}]
        ) from exc


@router.get("/clock", summary="What time it is for every surface")
async def read_clock(session: Session) -> s.ClockResponse:
    return _clock_response(await clock.state(session))


@router.post("/clock", summary="Move the clock: to an instant, or forward by a duration")
async def move_clock(body: s.ClockRequest, session: Session) -> s.ClockResponse:
    if body.advance is not None:
        return _clock_response(await clock.advance(session, _duration(body.advance)))
    assert body.now is not None  # noqa: S101 - the request model requires one of the two
    return _clock_response(await clock.set_to(session, body.now, frozen=body.frozen))


@router.delete("/clock", summary="Back to real time")
async def reset_clock(session: Session) -> s.ClockResponse:
    return _clock_response(await clock.reset(session))


@router.post("/reset", summary="Back to the seed: store, clock and journal")
async def reset(session: Session) -> s.ResetResponse:
    seeded = await snapshots.reset_to_seed(session)
    await clock.reset(session)
    await journal.clear(session)
    return s.ResetResponse(seed=seeded)


@router.get("/snapshots", summary="The snapshots kept")
async def list_snapshots(session: Session) -> s.SnapshotList:
    return s.SnapshotList(snapshots=await snapshots.names(session))


@router.post("/snapshots", status_code=201, summary="Snapshot the whole store under a name")
async def take_snapshot(body: s.SnapshotRequest, session: Session) -> s.SnapshotResponse:
    await snapshots.take(session, snapshots.check_name(body.name))
    return s.SnapshotResponse(name=body.name)


@router.post("/snapshots/{name}/restore", summary="Put the store back as the snapshot saw it")
async def restore_snapshot(name: str, session: Session) -> s.SnapshotResponse:
    await snapshots.restore(session, snapshots.check_name(name))
    return s.SnapshotResponse(name=name)


@router.get("/requests", summary="The newest requests the server received, secrets redacted")
async def list_requests(
    session: Session,
    surface: Annotated[str | None, Query(pattern="^(infisical|csp|ctrlhub|other)$")] = None,
    path: Annotated[str | None, Query(description="Only paths starting with this")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> s.JournalPage:
    rows = await journal.newest(session, surface=surface, path=path, limit=limit)
    return s.JournalPage(
        requests=[
            s.JournalEntry(
                id=row.id,
                receivedAt=row.received_at,
                surface=row.surface,
                method=row.method,
                path=row.path,
                query=row.query,
                headers=row.headers,
                body=row.body,
                json_=_parsed(row.body, row.headers),
                status=row.status,
            )
            for row in rows
        ]
    )


@router.delete("/requests", status_code=204, summary="Empty the journal")
async def clear_requests(session: Session) -> None:
    await journal.clear(session)


def _parsed(body: str | None, headers: dict[str, str]) -> Any:
    if body is None or "json" not in headers.get("content-type", ""):
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


@router.post("/tokens/infisical", summary="An Infisical access token for a machine identity")
async def infisical_token(
    body: s.InfisicalTokenRequest, request: Request, session: Session
) -> s.TokenResponse:
    now = current_time()
    codec: TokenCodec = request.app.state.tokens
    login = await auth_service.mint_identity_token(session, codec, body.identityId, now)
    return s.TokenResponse(token=login.token.token, expiresAt=login.token.expires_at)


@router.post("/tokens/csp", summary="A CSP access token for a user (send it as csp-auth-token)")
async def csp_token(
    body: s.UserTokenRequest, request: Request, session: Session
) -> s.TokenResponse:
    now = current_time()
    settings: Settings = request.app.state.settings
    codec: TokenCodec = request.app.state.tokens
    ttl = settings.auth.csp_token_ttl
    grant = await csp_auth.mint_for_email(
        session, codec, body.email, org=body.org, ttl=ttl, now=now
    )
    return s.TokenResponse(token=grant.access_token, expiresAt=now + dt.timedelta(seconds=ttl))


@router.post("/tokens/ctrlhub", summary="A ctrl-hub session token for a user")
async def ctrlhub_token(
    body: s.UserTokenRequest, request: Request, session: Session
) -> s.TokenResponse:
    now = current_time()
    settings: Settings = request.app.state.settings
    ttl = dt.timedelta(seconds=settings.auth.ctrlhub_session_ttl)
    minted = await session_tokens.mint(session, email=body.email, org=body.org, ttl=ttl, now=now)
    return s.TokenResponse(token=minted.token, expiresAt=minted.expires_at)

"""Opt-in safe-update features, the same on every surface: ETag / If-Match,
Idempotency-Key and ``?dryRun=true``. No vendor client needs them; none is harmed by them.

How a route opts in (see docs/reliability.md):

- a GET lists ``READ_ETAG`` in ``dependencies=[...]``: its 2xx responses carry an ``ETag``,
  a strong hash of the response body (the resource's representation);
- a PATCH takes a ``SafeWrite`` parameter *after* its actor dependency (so a replay is
  only ever served to an authenticated caller), passes ``write.precondition(render)`` to
  its service, which calls it under the row lock right before writing, and calls
  ``write.set_etag(render(view_after))`` so the response carries the ETag the GET will
  show. ``render`` maps the core view to the GET's wire model.

Failures are ``starlette.exceptions.HTTPException`` (412, 422) that the route class
renders in the surface's own envelope.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any, TypeVar

import orjson
from fastapi import Depends, Header, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException as StarletteHTTPException

from rolegate.api.credentials import client_key
from rolegate.api.deps import current_time
from rolegate.api.metrics import IDEMPOTENT_REPLAYS
from rolegate.api.routing import AttemptState, IdempotentReplayError, attempt_state, request_session
from rolegate.config import Settings
from rolegate.rbac import guards

View = TypeVar("View")

# --- ETag ----------------------------------------------------------------------------


def etag_for(data: Any) -> str:
    """Strong ETag of a JSON-able representation (key order does not matter)."""
    canonical = orjson.dumps(data, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    return '"' + hashlib.sha256(canonical).hexdigest() + '"'


def etag_for_model(model: BaseModel) -> str:
    return etag_for(model.model_dump(mode="json", by_alias=True))


def if_match_allows(header: str, current: str) -> bool:
    """RFC 9110 If-Match with strong comparison: ``*`` or a listed tag equal to ours."""
    tags = [tag.strip() for tag in header.split(",") if tag.strip()]
    # A weak tag (W/"...") never matches under strong comparison.
    return any(tag == "*" or tag == current for tag in tags)


def if_none_match_hits(header: str, current: str) -> bool:
    """RFC 9110 If-None-Match with weak comparison: ``*`` or a listed tag equal to ours
    once a ``W/`` prefix is dropped (a cache may keep our tag as weak)."""
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()]
    return any(tag == "*" or tag == current for tag in tags)


def _not_modified(response: Response) -> None:
    # 304 carries the validator and no content (RFC 9110 §15.4.5).
    response.status_code = 304
    response.body = b""
    for name in ("content-length", "content-type"):
        if name in response.headers:
            del response.headers[name]


def _etag_from_body(if_none_match: str | None, response: Response) -> None:
    if response.status_code >= 300 or "etag" in response.headers:
        return
    try:
        data = orjson.loads(bytes(response.body))
    except orjson.JSONDecodeError:
        return
    etag = etag_for(data)
    response.headers["ETag"] = etag
    if if_none_match is not None and if_none_match_hits(if_none_match, etag):
        _not_modified(response)


async def read_etag(
    request: Request,
    if_none_match: Annotated[
        str | None,
        Header(
            alias="If-None-Match",
            description="Answer 304 with no body if the current ETag is listed (or `*`);"
            " checked after authentication and authorization, like the read itself.",
        ),
    ] = None,
) -> None:
    attempt_state(request).on_success.append(partial(_etag_from_body, if_none_match))


READ_ETAG = Depends(read_etag)

# --- writes --------------------------------------------------------------------------


@dataclass(slots=True)
class WriteOptions:
    """The safe-update headers of one PATCH, and what the handler does with them."""

    if_match: str | None
    dry_run: bool
    state: AttemptState

    def precondition(self, render: Callable[[View], BaseModel]) -> Callable[[View], None] | None:
        """A hook for the service: compare If-Match with the locked current state.

        None without If-Match: there is nothing to compare, and a service reads the
        current state for its hook only when it is given one (one statement less).
        """
        if self.if_match is None:
            return None

        def check(current: View) -> None:
            self.state.unchecked_precondition = False
            if self.if_match is None:
                return
            if not if_match_allows(self.if_match, etag_for_model(render(current))):
                raise StarletteHTTPException(
                    412,
                    "Precondition failed: the resource has changed since the ETag in"
                    " If-Match was issued; read it again and retry",
                )

        return check

    def set_etag(self, representation: BaseModel) -> None:
        """The ETag of the resource after the write (what its GET will return)."""
        if not self.dry_run:
            self.state.headers["ETag"] = etag_for_model(representation)

    def set_etag_of_document(self, document: Any) -> None:
        """``set_etag`` for a representation the handler has already dumped
        (``model_dump(mode="json", by_alias=True)``), to send part of it as its body."""
        if not self.dry_run:
            self.state.headers["ETag"] = etag_for(document)


def _body_hash(method: str, path: str, body: bytes) -> bytes:
    try:
        # Same JSON document, same request: whitespace and key order do not matter.
        canonical = orjson.dumps(orjson.loads(body), option=orjson.OPT_SORT_KEYS)
    except orjson.JSONDecodeError:
        canonical = body
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + canonical).digest()


async def _claim_or_replay(request: Request, session: AsyncSession, key: str) -> None:
    settings: Settings = request.app.state.settings
    principal = client_key(request)[:64]
    now = current_time()
    body_hash = _body_hash(request.method, request.url.path, await request.body())
    claimed = await guards.claim_idempotency_key(
        session,
        key=key,
        principal=principal,
        method=request.method,
        path=request.url.path,
        body_hash=body_hash,
        now=now,
        ttl=dt.timedelta(seconds=settings.safe_update.idempotency_ttl_seconds),
    )
    if claimed:

        async def store(session: AsyncSession, response: Response) -> None:
            # An empty body (CSP's PATCH) has no content type; a replay must not invent one.
            headers = {
                name: response.headers[name]
                for name in ("content-type", "etag")
                if name in response.headers
            }
            await guards.store_response(
                session,
                key=key,
                principal=principal,
                status_code=response.status_code,
                headers=headers,
                body=bytes(response.body),
            )

        attempt_state(request).before_commit.append(store)
        return
    stored = await guards.stored_response(session, key, principal)
    if stored is None or stored.body_hash != body_hash:
        raise StarletteHTTPException(
            422,
            "Idempotency-Key was already used with a different request (method, path or body)",
        )
    if stored.status_code is None:  # pragma: no cover - a claim commits with its response
        raise StarletteHTTPException(409, "A request with this Idempotency-Key is in progress")
    IDEMPOTENT_REPLAYS.inc()
    raise IdempotentReplayError(
        Response(
            content=stored.body,
            status_code=stored.status_code,
            headers={**stored.headers, "Idempotent-Replayed": "true"},
        )
    )


# The safe-update parameters of a PATCH, validated as FastAPI validated them when they were
# declared parameters of ``write_options`` (same types and constraints, so the same errors
# with the same locations). They are read from the request instead because FastAPI's
# solving of declared header and query parameters costs time on every request even when,
# as on nearly every request, none is sent (bench/README.md); the routes document them with
# ``safe_update_openapi.SAFE_WRITE_OPENAPI``, built from these same adapters.
IF_MATCH = "If-Match"
IDEMPOTENCY_KEY = "Idempotency-Key"
DRY_RUN = "dryRun"
IF_MATCH_TYPE: TypeAdapter[str | None] = TypeAdapter(Annotated[str | None, Field(max_length=1024)])
IDEMPOTENCY_KEY_TYPE: TypeAdapter[str | None] = TypeAdapter(
    Annotated[str | None, Field(min_length=1, max_length=255)]
)
DRY_RUN_TYPE: TypeAdapter[bool] = TypeAdapter(bool)


def _validated(
    adapter: TypeAdapter[Any], value: str, loc: tuple[str, str], errors: list[Any]
) -> Any:
    try:
        return adapter.validate_python(value)
    except ValidationError as exc:
        errors.extend(
            {**err, "loc": loc + tuple(err.get("loc", ()))} for err in exc.errors(include_url=False)
        )
        return None


async def write_options(request: Request) -> WriteOptions:
    state = attempt_state(request)
    headers = request.headers
    if_match = headers.get(IF_MATCH)
    idempotency_key = headers.get(IDEMPOTENCY_KEY)
    raw_dry_run = request.query_params.get(DRY_RUN)
    if if_match is None and idempotency_key is None and raw_dry_run is None:
        return WriteOptions(if_match=None, dry_run=False, state=state)
    # FastAPI's order: query parameters, then headers in declaration order.
    errors: list[Any] = []
    dry_run = False
    if raw_dry_run is not None:
        dry_run = _validated(DRY_RUN_TYPE, raw_dry_run, ("query", DRY_RUN), errors)
    if if_match is not None:
        if_match = _validated(IF_MATCH_TYPE, if_match, ("header", IF_MATCH), errors)
    if idempotency_key is not None:
        idempotency_key = _validated(
            IDEMPOTENCY_KEY_TYPE, idempotency_key, ("header", IDEMPOTENCY_KEY), errors
        )
    if errors:
        raise RequestValidationError(errors)
    options = WriteOptions(if_match=if_match, dry_run=dry_run, state=state)
    if if_match is not None:
        state.unchecked_precondition = True
    if idempotency_key is not None and not dry_run:
        await _claim_or_replay(request, request_session(request), idempotency_key)
    return options


SafeWrite = Annotated[WriteOptions, Depends(write_options)]

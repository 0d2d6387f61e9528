"""Per-credential rate limiting with counters in PostgreSQL (opt-in, off by default).

A fixed window per credential: ``ROLEGATE_RATE_LIMIT__REQUESTS`` requests per
``ROLEGATE_RATE_LIMIT__WINDOW_SECONDS``. The counter is one upsert in its own short
transaction, committed at once, so every replica shares it and a request that is later
rolled back (a 4xx, a dry run) still counts. Over the limit → 429 with ``Retry-After``,
rendered in the surface's envelope by the route class.
"""

from __future__ import annotations

import math
import time

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from rolegate.api.credentials import client_key
from rolegate.api.metrics import RATE_LIMITED
from rolegate.config import RateLimitSettings
from rolegate.rbac import guards


async def enforce(request: Request, settings: RateLimitSettings) -> None:
    if not settings.enabled:
        return
    now = time.time()
    window = settings.window_seconds
    window_start = int(now // window) * window
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        count = await guards.count_in_window(session, client_key(request), window_start, window)
        await session.commit()
    if count > settings.requests:
        RATE_LIMITED.inc()
        retry_after = max(1, math.ceil(window_start + window - now))
        raise StarletteHTTPException(
            429,
            f"Rate limit exceeded: {settings.requests} requests per {window} s for this"
            f" credential; retry in {retry_after} s",
            headers={"Retry-After": str(retry_after)},
        )

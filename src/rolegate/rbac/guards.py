"""The request guards every surface shares: rate-limit windows, idempotency keys and the
outbox backlog. No HTTP here: the API layer decides what a full window or a reused key
answers; this module decides what is counted, kept and forgotten.
"""

from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac import guards_repository as repo
from rolegate.rbac.guards_repository import StoredResponse

# Old rate-limit windows and expired idempotency keys are deleted now and then, in a
# request's own transaction, not on every request (the indexes keep that delete short).
# An expired key that is reused is taken over in place, so it never blocks a client.
_PRUNE_EVERY = 1000
_window_calls = itertools.count(1)
_claims = itertools.count(1)


async def count_in_window(
    session: AsyncSession, bucket: str, window_start: int, window_seconds: int
) -> int:
    """Count one request in ``bucket``'s current window; the window's count so far."""
    count = await repo.count_request(session, bucket, window_start)
    if next(_window_calls) % _PRUNE_EVERY == 0:
        await repo.forget_windows_before(session, window_start - window_seconds)
    return count


async def claim_idempotency_key(
    session: AsyncSession,
    *,
    key: str,
    principal: str,
    method: str,
    path: str,
    body_hash: bytes,
    now: dt.datetime,
    ttl: dt.timedelta,
) -> bool:
    """True when this request now owns ``key``; False when another request stored it."""
    claimed = await repo.claim_idempotency_key(
        session,
        key=key,
        principal=principal,
        method=method,
        path=path,
        body_hash=body_hash,
        now=now,
        expires_at=now + ttl,
    )
    if claimed and next(_claims) % _PRUNE_EVERY == 0:
        await repo.forget_expired_keys(session, now)
    return claimed


async def store_response(
    session: AsyncSession,
    *,
    key: str,
    principal: str,
    status_code: int,
    headers: dict[str, str],
    body: bytes,
) -> None:
    await repo.store_response(
        session, key=key, principal=principal, status_code=status_code, headers=headers, body=body
    )


async def stored_response(session: AsyncSession, key: str, principal: str) -> StoredResponse | None:
    return await repo.stored_response(session, key, principal)


async def outbox_backlog(session: AsyncSession) -> int:
    """Notifications waiting to be delivered."""
    return await repo.outbox_backlog(session)

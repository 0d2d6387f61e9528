"""SQL for the request guards every surface shares: rate-limit counters, idempotency keys.

Both tables live in PostgreSQL so that every replica of the API sees the same counters
and the same stored responses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac.models import IdempotencyKey, NotificationOutbox, RateLimitBucket

# --- rate limiting -------------------------------------------------------------------


async def count_request(session: AsyncSession, bucket: str, window_start: int) -> int:
    """Add one request to ``bucket``'s window and return the window's count so far."""
    stmt = (
        pg_insert(RateLimitBucket)
        .values(bucket=bucket, window_start=window_start, count=1)
        .on_conflict_do_update(
            index_elements=[RateLimitBucket.bucket, RateLimitBucket.window_start],
            set_={"count": RateLimitBucket.count + 1},
        )
        .returning(RateLimitBucket.count)
    )
    return int((await session.execute(stmt)).scalar_one())


async def forget_windows_before(session: AsyncSession, window_start: int) -> None:
    await session.execute(
        delete(RateLimitBucket).where(RateLimitBucket.window_start < window_start)
    )


# --- idempotency keys ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredResponse:
    method: str
    path: str
    body_hash: bytes
    status_code: int | None
    headers: dict[str, str]
    body: bytes


async def claim_idempotency_key(
    session: AsyncSession,
    *,
    key: str,
    principal: str,
    method: str,
    path: str,
    body_hash: bytes,
    now: dt.datetime,
    expires_at: dt.datetime,
) -> bool:
    """Claim ``key`` for this request; False when a live claim exists (then replay it).

    The insert takes the key's unique index entry: a concurrent request with the same key
    waits here until the first one commits (then sees its claim) or rolls back (then
    claims it itself). An expired claim is taken over in place.
    """
    stmt = (
        pg_insert(IdempotencyKey)
        .values(
            key=key,
            principal_id=principal,
            method=method,
            path=path,
            body_hash=body_hash,
            status_code=None,
            response_headers=None,
            response_body=None,
            created_at=now,
            expires_at=expires_at,
        )
        .on_conflict_do_update(
            index_elements=[IdempotencyKey.key, IdempotencyKey.principal_id],
            set_={
                "method": method,
                "path": path,
                "body_hash": body_hash,
                "status_code": None,
                "response_headers": None,
                "response_body": None,
                "created_at": now,
                "expires_at": expires_at,
            },
            where=IdempotencyKey.expires_at <= now,
        )
        .returning(IdempotencyKey.key)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def stored_response(session: AsyncSession, key: str, principal: str) -> StoredResponse | None:
    stmt = select(IdempotencyKey).where(
        IdempotencyKey.key == key, IdempotencyKey.principal_id == principal
    )
    row = (await session.execute(stmt)).scalar_one_or_none()
    if row is None:
        return None
    return StoredResponse(
        method=row.method,
        path=row.path,
        body_hash=row.body_hash,
        status_code=row.status_code,
        headers=dict(row.response_headers or {}),
        body=row.response_body or b"",
    )


async def store_response(
    session: AsyncSession,
    *,
    key: str,
    principal: str,
    status_code: int,
    headers: dict[str, str],
    body: bytes,
) -> None:
    await session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.key == key, IdempotencyKey.principal_id == principal)
        .values(status_code=status_code, response_headers=headers, response_body=body)
    )


async def forget_expired_keys(session: AsyncSession, now: dt.datetime) -> None:
    await session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at <= now))


# --- observability -------------------------------------------------------------------


async def outbox_backlog(session: AsyncSession) -> int:
    """Notifications waiting to be delivered."""
    stmt = select(func.count()).where(NotificationOutbox.status == "pending")
    return int((await session.execute(stmt)).scalar_one())

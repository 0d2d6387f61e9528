"""SQL for the notification outbox: claiming due rows and recording each delivery try.

The retry policy (backoff, giving up) is the service's, in ``rbac.outbox``.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac.models import NotificationOutbox


async def claim_due(
    session: AsyncSession, now: dt.datetime, limit: int
) -> list[NotificationOutbox]:
    """Due pending rows, locked for this transaction; rows another worker holds are skipped."""
    stmt = (
        select(NotificationOutbox)
        .where(NotificationOutbox.status == "pending", NotificationOutbox.next_attempt_at <= now)
        .order_by(NotificationOutbox.next_attempt_at, NotificationOutbox.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return list((await session.execute(stmt)).scalars())


async def mark_delivered(session: AsyncSession, row_id: uuid.UUID, now: dt.datetime) -> bool:
    """Mark delivered; the status guard makes a second mark a no-op (False)."""
    stmt = (
        update(NotificationOutbox)
        .where(NotificationOutbox.id == row_id, NotificationOutbox.status == "pending")
        .values(
            status="delivered",
            delivered_at=now,
            attempts=NotificationOutbox.attempts + 1,
            last_error=None,
        )
        .returning(NotificationOutbox.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def record_attempt(
    session: AsyncSession,
    row_id: uuid.UUID,
    *,
    attempts: int,
    error: str,
    status: str,
    next_attempt_at: dt.datetime,
) -> None:
    """A failed try of a row still pending (a row delivered meanwhile is left alone)."""
    await session.execute(
        update(NotificationOutbox)
        .where(NotificationOutbox.id == row_id, NotificationOutbox.status == "pending")
        .values(
            attempts=attempts,
            last_error=error,
            status=status,
            next_attempt_at=next_attempt_at,
        )
    )

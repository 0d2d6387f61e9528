"""The notification outbox: rows written in the request's transaction, delivered later.

Writing the notification in the same transaction as the change means a notification
exists if and only if the change committed. Delivery (``rolegate.outbox_worker``) claims
due rows with ``FOR UPDATE SKIP LOCKED``, so any number of workers in any number of
processes can run at once and each row is claimed by one of them at a time.

Endpoint D writes its rows as a CTE of its write statement
(``csp_role_rows_repository.write``).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac.models import NotificationOutbox

# Retries back off exponentially from BASE to CAP; after MAX_ATTEMPTS a row is 'failed'.
BACKOFF_BASE_SECONDS = 5.0
BACKOFF_CAP_SECONDS = 3600.0
MAX_ATTEMPTS = 10


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


def backoff_seconds(attempts: int) -> float:
    """Delay before the next try after ``attempts`` failed ones: 5 s, 10 s, 20 s … ≤ 1 h."""
    return float(min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1)))


async def mark_failed_attempt(
    session: AsyncSession, row: NotificationOutbox, error: str, now: dt.datetime
) -> None:
    attempts = row.attempts + 1
    give_up = attempts >= MAX_ATTEMPTS
    await session.execute(
        update(NotificationOutbox)
        .where(NotificationOutbox.id == row.id, NotificationOutbox.status == "pending")
        .values(
            attempts=attempts,
            last_error=error[:1000],
            status="failed" if give_up else "pending",
            next_attempt_at=now + dt.timedelta(seconds=backoff_seconds(attempts)),
        )
    )

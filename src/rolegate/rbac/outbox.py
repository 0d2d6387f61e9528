"""The notification outbox: rows written in the request's transaction, delivered later.

Writing the notification in the same transaction as the change means a notification
exists if and only if the change committed. Delivery (``rolegate.outbox_worker``) claims
due rows with ``FOR UPDATE SKIP LOCKED``, so any number of workers in any number of
processes can run at once and each row is claimed by one of them at a time.

Endpoint D writes its rows as a CTE of its write statement
(``rbac.csp.group_roles_repository.write``).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac import outbox_repository as repo
from rolegate.rbac.models import NotificationOutbox

# Retries back off exponentially from BASE to CAP; after MAX_ATTEMPTS a row is 'failed'.
BACKOFF_BASE_SECONDS = 5.0
BACKOFF_CAP_SECONDS = 3600.0
MAX_ATTEMPTS = 10


def backoff_seconds(attempts: int) -> float:
    """Delay before the next try after ``attempts`` failed ones: 5 s, 10 s, 20 s … ≤ 1 h."""
    return float(min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1)))


async def claim_due(
    session: AsyncSession, now: dt.datetime, limit: int
) -> list[NotificationOutbox]:
    """Due pending rows, locked for this transaction; rows another worker holds are skipped."""
    return await repo.claim_due(session, now, limit)


async def mark_delivered(session: AsyncSession, row_id: uuid.UUID, now: dt.datetime) -> bool:
    """Mark delivered; the status guard makes a second mark a no-op (False)."""
    return await repo.mark_delivered(session, row_id, now)


async def mark_failed_attempt(
    session: AsyncSession, row: NotificationOutbox, error: str, now: dt.datetime
) -> None:
    """Count a failed try: back off, or give up as 'failed' after MAX_ATTEMPTS."""
    attempts = row.attempts + 1
    give_up = attempts >= MAX_ATTEMPTS
    await repo.record_attempt(
        session,
        row.id,
        attempts=attempts,
        error=error[:1000],
        status="failed" if give_up else "pending",
        next_attempt_at=now + dt.timedelta(seconds=backoff_seconds(attempts)),
    )

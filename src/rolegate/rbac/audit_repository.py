"""SQL for reading audit events (they are written by ``repository.record_audit``)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac.models import AuditEvent


async def list_events(
    session: AsyncSession,
    *,
    org_id: uuid.UUID | None,
    since: dt.datetime | None,
    limit: int,
) -> list[AuditEvent]:
    """Newest first, in commit order (``seq``); ``org_id=None`` reads every org (the
    operator's CLI)."""
    stmt = select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(limit)
    if org_id is not None:
        stmt = stmt.where(AuditEvent.org_id == org_id)
    if since is not None:
        stmt = stmt.where(AuditEvent.created_at >= since)
    return list((await session.execute(stmt)).scalars())

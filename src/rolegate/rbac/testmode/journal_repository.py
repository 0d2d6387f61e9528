"""The request journal's SQL: append one request, keep the newest N, list them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac.testmode.models import JournaledRequest


async def append(session: AsyncSession, keep: int, **values: Any) -> None:
    new_id = (
        await session.execute(
            insert(JournaledRequest).values(**values).returning(JournaledRequest.id)
        )
    ).scalar_one()
    # Identity values only grow, so the rows below new_id - keep + 1 are the oldest.
    await session.execute(delete(JournaledRequest).where(JournaledRequest.id <= new_id - keep))


async def newest(
    session: AsyncSession, *, surface: str | None, path: str | None, limit: int
) -> Sequence[JournaledRequest]:
    query = select(JournaledRequest).order_by(JournaledRequest.id.desc()).limit(limit)
    if surface is not None:
        query = query.where(JournaledRequest.surface == surface)
    if path is not None:
        # A prefix, matched literally: % and _ in the path mean themselves.
        query = query.where(func.starts_with(JournaledRequest.path, path))
    return (await session.scalars(query)).all()


async def clear(session: AsyncSession) -> None:
    await session.execute(delete(JournaledRequest))

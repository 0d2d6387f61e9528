"""The simulated clock's SQL. Time is read from PostgreSQL's ``clock_timestamp()`` (not
the transaction's ``now()``, and not this process's clock), so that every worker and
every replica of one server reads the same instant."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Interval, bindparam, delete, func, literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac.testmode.models import SimulatedClock

_ZERO = literal(dt.timedelta(0), Interval)

# One row or none: the outer join answers real time when there is no row.
_READ = select(
    func.coalesce(
        SimulatedClock.frozen_at,
        func.clock_timestamp() + func.coalesce(SimulatedClock.offset, _ZERO),
    ),
    func.clock_timestamp(),
    SimulatedClock.frozen_at,
    SimulatedClock.id,
).select_from(
    select(literal(1).label("one")).subquery().outerjoin(SimulatedClock, SimulatedClock.id == 1)
)


async def read(session: AsyncSession) -> tuple[dt.datetime, dt.datetime, bool, bool]:
    """(the clock's now, real time, frozen, simulated: False when there is no row)."""
    now, real, frozen_at, row_id = (await session.execute(_READ)).one()
    return now, real, frozen_at is not None, row_id is not None


async def advance(session: AsyncSession, by: dt.timedelta) -> None:
    by_param = bindparam("by", by, type_=Interval)
    statement = insert(SimulatedClock).values(id=1, offset=by_param, frozen_at=None)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[SimulatedClock.id],
            set_={
                "offset": SimulatedClock.offset + by_param,
                # NULL stays NULL: a running clock stays running.
                "frozen_at": SimulatedClock.frozen_at + by_param,
            },
        )
    )


async def set_to(session: AsyncSession, at: dt.datetime, *, frozen: bool) -> None:
    at_param = bindparam("at", at, type_=DateTime(timezone=True))
    offset = _ZERO if frozen else at_param - func.clock_timestamp()
    frozen_at = at_param if frozen else literal(None, DateTime(timezone=True))
    statement = insert(SimulatedClock).values(id=1, offset=offset, frozen_at=frozen_at)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[SimulatedClock.id],
            set_={"offset": statement.excluded.offset, "frozen_at": statement.excluded.frozen_at},
        )
    )


async def reset(session: AsyncSession) -> None:
    await session.execute(delete(SimulatedClock))

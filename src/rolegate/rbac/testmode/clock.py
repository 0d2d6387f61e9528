"""What time it is for rolegate: real time, or the simulated clock in test mode.

Every decision that depends on the time (temporary windows, CSP ``expiresAt``, token
expiry, idempotency keys) takes one ``now`` from here, per request. With test mode off
this is the process's clock and costs no query; with it on, one read of the clock row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from rolegate.rbac.testmode import clock_repository


@dataclass(frozen=True, slots=True)
class ClockRow:
    now: dt.datetime
    real: dt.datetime
    frozen: bool
    simulated: bool  # False: there is no clock row, it is real time


def real_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def now(session: AsyncSession, *, simulated: bool) -> dt.datetime:
    if not simulated:
        return real_now()
    return (await clock_repository.read(session))[0].astimezone(dt.UTC)


async def state(session: AsyncSession) -> ClockRow:
    return ClockRow(*await clock_repository.read(session))


async def advance(session: AsyncSession, by: dt.timedelta) -> ClockRow:
    await clock_repository.advance(session, by)
    return await state(session)


async def set_to(session: AsyncSession, at: dt.datetime, *, frozen: bool) -> ClockRow:
    await clock_repository.set_to(session, at, frozen=frozen)
    return await state(session)


async def reset(session: AsyncSession) -> ClockRow:
    await clock_repository.reset(session)
    return await state(session)

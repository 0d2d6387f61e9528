"""The one clock of a request: ``Now``, a dependency every route and auth check takes.

Resolved once per request (FastAPI caches a dependency within a request), so the token
check, the window predicates and the response all agree on one instant. With test mode
off it is the process's clock and costs nothing; with it on, one read of the simulated
clock in the request's own transaction (rbac/testmode/clock.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Depends, Request

from rolegate.api.routing import request_session
from rolegate.config import Settings
from rolegate.rbac.testmode import clock


async def request_now(request: Request) -> dt.datetime:
    settings: Settings = request.app.state.settings
    if not settings.test_mode:
        return clock.real_now()
    return await clock.now(request_session(request), simulated=True)


Now = Annotated[dt.datetime, Depends(request_now)]

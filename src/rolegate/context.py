"""Per-request context that the core may read without knowing about HTTP."""

from __future__ import annotations

import datetime as dt
from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
# The instant the simulated clock gave this request's transaction (test mode only).
clock_var: ContextVar[dt.datetime | None] = ContextVar("clock", default=None)


def request_now() -> dt.datetime:
    """The one clock of a request: the test clock's instant in test mode, else real time.

    In test mode the route class reads the simulated clock once per transaction and every
    caller in the request gets that instant (tokens, windows, expiresAt, idempotency
    keys); otherwise this is the process's clock, read without a query.
    """
    return clock_var.get() or dt.datetime.now(dt.UTC)

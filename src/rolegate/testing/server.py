"""Start ``rolegate serve`` for a test session: a free loopback port, a data dir (and so
an embedded PostgreSQL) of its own, test mode on.

A subprocess rather than an in-process app: the tests then talk to what production runs
(gunicorn, its workers, the real HTTP stack), and a test suite's own event loop, imports
and environment stay out of the server's way.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

READY_TIMEOUT_SECONDS = 120.0
STOP_TIMEOUT_SECONDS = 30.0


class ServerStartError(RuntimeError):
    pass


def free_port() -> int:
    """A port the kernel had free a moment ago (the small race is the usual price)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class EmbeddedServer:
    def __init__(self, data_dir: Path, seed: Path | None) -> None:
        self.data_dir = data_dir
        self.seed = seed
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir / "server.log"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = dict(os.environ)
        # The session's own embedded PostgreSQL: never a database the suite shares.
        env.pop("ROLEGATE_DATABASE_URL", None)
        env |= {
            "ROLEGATE_TEST_MODE": "true",
            "ROLEGATE_DATA_DIR": str(self.data_dir),
            "ROLEGATE_LOG_LEVEL": env.get("ROLEGATE_LOG_LEVEL", "warning"),
        }
        command = [sys.executable, "-m", "rolegate.cli", "serve"]
        command += ["--host", "127.0.0.1", "--port", str(self.port)]
        if self.seed is not None:
            command += ["--seed", str(self.seed)]
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and CLI
                command, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        self._wait_until_ready()

    def _wait_until_ready(self) -> None:
        assert self._process is not None  # noqa: S101 - start() set it
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise ServerStartError(
                    f"rolegate serve exited with {self._process.returncode}:\n{self._log()}"
                )
            with (
                contextlib.suppress(urllib.error.URLError, OSError),
                urllib.request.urlopen(f"{self.url}/readyz", timeout=2) as answer,  # noqa: S310
            ):
                if answer.status == 200:
                    return
            time.sleep(0.1)
        self.stop()
        raise ServerStartError(f"rolegate serve was not ready in time:\n{self._log()}")

    def stop(self) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        self._process.terminate()
        try:
            self._process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def _log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return "(no log)"

"""Process plumbing for the harness: ports, /proc sampling, starting and stopping serve.

Only processes this harness started are ever signalled, by their own pid (or the process
group the harness created for them).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

PORTS = range(19000, 19100)
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    start = os.getpid() % len(PORTS)
    for i in range(len(PORTS)):
        port = PORTS[(start + i) % len(PORTS)]
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 19000-19099")


def children(pid: int) -> list[int]:
    """Direct children of ``pid``."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            out.append(int(entry.name))
    return out


def _cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def serve_workers(serve_pid: int) -> list[int]:
    """The worker processes of a ``rolegate serve --workers N``.

    gunicorn's forks share the parent's command line; revisions before it (still served
    by ``bench/compare.py``) spawned theirs through multiprocessing, and with one worker
    served in the parent process itself.
    """
    command = _cmdline(serve_pid)
    workers = []
    for pid in children(serve_pid):
        child = _cmdline(pid)
        if child == command or "spawn_main" in child:
            workers.append(pid)
    return workers


def peak_rss_mb(pid: int) -> float:
    """VmHWM: the process's peak resident set size so far."""
    for line in (Path("/proc") / str(pid) / "status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    try:
        fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    total = sum(values[:8])
    return total - idle, total


def busy_fraction(before: tuple[float, float], after: tuple[float, float]) -> float:
    total = after[1] - before[1]
    return (after[0] - before[0]) / total if total else 0.0


def loadavg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def wait_ready(url: str, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> float:
    """Seconds until ``url`` answers 200 (polled every 10 ms)."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before it was ready")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return time.perf_counter() - started
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.01)
    raise TimeoutError(f"{url} not ready after {timeout} s")


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    workers: int
    ready_seconds: float
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        return serve_workers(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def start_server(
    rolegate: str, env: dict[str, str], workers: int, log: Path, timeout: float = 60
) -> Server:
    port = free_port()
    handle = log.open("ab")
    proc = subprocess.Popen(
        [rolegate, "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: a hung server is killed as a unit
    )
    handle.close()
    try:
        ready = wait_ready(f"http://127.0.0.1:{port}/readyz", timeout, proc)
        # --workers N: every worker must be up, not just the first to bind.
        deadline = time.monotonic() + timeout
        while workers > 1 and len(serve_workers(proc.pid)) < workers:
            if time.monotonic() > deadline:
                raise TimeoutError("workers did not start")
            time.sleep(0.05)
    except BaseException:
        Server(proc, port, workers, 0, log).stop()
        raise
    return Server(proc, port, workers, ready, log)

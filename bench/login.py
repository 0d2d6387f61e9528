"""Universal-auth login under load, and what a login flood does to everyone else's requests.

Two measurements on the running server (the harness's, 2 workers):

1. wrk POSTs the bench identity's client id and secret to
   ``/api/v1/auth/universal-auth/login`` at c=16: logins per second, their latency, and
   rolegate's CPU per login.
2. A steady read (GET of endpoint A's membership at c=4) alone, then the same read while
   the login flood runs beside it: the read's p50/p99 in both. A login that hashes on the
   event loop stalls every request its worker holds for as long as the hash takes.

The bench measures whatever the code does; it asserts nothing about how logins hash.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import loadgen
import procs
from dataset import Dataset
from endpoints import Request, project_group_reads

LOGIN_PATH = "/api/v1/auth/universal-auth/login"
READ_CONCURRENCY = 4
SINGLE_LOGINS = 5


@dataclass
class LoginReport:
    # Waiting for queued logins to finish between the phases (see drain): a long wait
    # means logins were queued far beyond what wrk saw complete.
    drained_seconds: float
    # Workers gunicorn killed and replaced during the logins (its worker timeout: an
    # event loop busy hashing for longer misses its heartbeat), from the worker pids.
    workers_replaced: int
    # Sequential logins (c=1): latency (median) and server CPU per login.
    single_login_ms: float
    single_login_cpu_ms: float
    concurrency: int
    seconds: float
    logins_per_s: float
    login_p50_ms: float
    login_p99_ms: float
    login_errors: int
    server_cpu_ms_per_login: float
    read_alone_rps: float
    read_alone_p50_ms: float
    read_alone_p99_ms: float
    read_flood_rps: float
    read_flood_p50_ms: float
    read_flood_p99_ms: float
    read_flood_errors: int
    logins_during_flood_per_s: float
    rss_mb_per_worker_after: float

    def lines(self) -> list[str]:
        return [
            f"login c=1: {self.single_login_ms:.0f} ms (median of {SINGLE_LOGINS}), server CPU "
            f"{self.single_login_cpu_ms:.0f} ms per login",
            f"login c={self.concurrency}: {self.logins_per_s:.1f} logins/s, p50 "
            f"{self.login_p50_ms:.0f} ms, p99 {self.login_p99_ms:.0f} ms, errors "
            f"{self.login_errors}, server CPU {self.server_cpu_ms_per_login:.0f} ms per login",
            f"GET membership c={READ_CONCURRENCY} alone: {self.read_alone_rps:.0f} req/s, p50 "
            f"{self.read_alone_p50_ms:.1f} ms, p99 {self.read_alone_p99_ms:.1f} ms",
            f"GET membership c={READ_CONCURRENCY} during a login flood (c={self.concurrency}, "
            f"{self.logins_during_flood_per_s:.1f} logins/s): "
            + (
                f"{self.read_flood_rps:.0f} req/s, p50 {self.read_flood_p50_ms:.1f} ms, p99 "
                f"{self.read_flood_p99_ms:.1f} ms "
                f"({self.read_flood_p99_ms / max(self.read_alone_p99_ms, 0.001):.1f}x alone)"
                if self.read_flood_rps
                else f"none completed within the {self.seconds:.0f} s"
            )
            + f", errors {self.read_flood_errors}",
            f"peak RSS per worker after the logins: {self.rss_mb_per_worker_after:.0f} MB;"
            f" {self.drained_seconds:.1f} s waiting for queued logins between the phases;"
            f" workers killed and replaced by gunicorn: {self.workers_replaced}",
        ]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _parallel(jobs: list[Any]) -> list[Any]:
    results: list[Any] = [None] * len(jobs)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            results[i] = jobs[i]()
        except BaseException as exc:  # re-raised below, in the caller's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


def drain(base: str, timeout: float = 120.0) -> float:
    """Wait until the logins wrk left queued are served: a flood's backlog outlives wrk
    (it closes its connections, the workers still finish what they had read). Seconds
    waited: until four health checks in a row answer within 50 ms."""
    started = time.perf_counter()
    quick = 0
    while quick < 4 and time.perf_counter() - started < timeout:
        t0 = time.perf_counter()
        with urllib.request.urlopen(base + "/healthz", timeout=timeout) as response:  # noqa: S310
            response.read()
        quick = quick + 1 if time.perf_counter() - t0 < 0.05 else 0
        time.sleep(0.05)
    return time.perf_counter() - started


def measure(
    *,
    server: procs.Server,
    wrk: str,
    data: Dataset,
    read_headers: dict[str, str],
    client_id: str,
    client_secret: str,
    concurrency: int,
    seconds: float,
    work: Path,
) -> LoginReport:
    logs = work / "logs"
    body = {"clientId": client_id, "clientSecret": client_secret}
    login_script = loadgen.write_script(
        work / "wrk-login.lua",
        [Request("POST", LOGIN_PATH, body)],
        {"Content-Type": "application/json"},
    )
    read_script = loadgen.write_script(
        work / "wrk-login-read.lua", project_group_reads(data, 64), read_headers
    )
    loadgen.run_wrk(wrk, server.base, login_script, 2, 2, logs / "warmup.log")
    loadgen.run_wrk(wrk, server.base, read_script, READ_CONCURRENCY, 2, logs / "warmup.log")
    drained = drain(server.base)

    # One at a time first: what a single login costs the server, with nothing queued.
    pids = server.worker_pids() or [server.proc.pid]
    cpu_before = sum(procs.cpu_seconds(pid) for pid in pids)
    singles = []
    for _ in range(SINGLE_LOGINS):
        t0 = time.perf_counter()
        post = urllib.request.Request(  # noqa: S310 - loopback URL we built
            server.base + LOGIN_PATH,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(post, timeout=120) as response:  # noqa: S310
            response.read()
        singles.append((time.perf_counter() - t0) * 1000)
    single_cpu = (sum(procs.cpu_seconds(pid) for pid in pids) - cpu_before) / SINGLE_LOGINS

    cpu_before = sum(procs.cpu_seconds(pid) for pid in pids)
    login = loadgen.run_wrk(
        wrk, server.base, login_script, concurrency, seconds, logs / "wrk-login.log"
    )
    cpu = sum(procs.cpu_seconds(pid) for pid in pids) - cpu_before
    served = login.rps * seconds
    drained += drain(server.base)

    alone = loadgen.run_wrk(
        wrk, server.base, read_script, READ_CONCURRENCY, seconds, logs / "wrk-login-read.log"
    )
    flood_login, flood_read = _parallel(
        [
            lambda: loadgen.run_wrk(
                wrk, server.base, login_script, concurrency, seconds, logs / "wrk-login.log"
            ),
            lambda: loadgen.run_wrk(
                wrk,
                server.base,
                read_script,
                READ_CONCURRENCY,
                seconds,
                logs / "wrk-login-read.log",
            ),
        ]
    )
    drained += drain(server.base)
    now = server.worker_pids() or [server.proc.pid]
    return LoginReport(
        workers_replaced=len(set(pids) - set(now)),
        single_login_ms=statistics.median(singles),
        single_login_cpu_ms=single_cpu * 1000,
        drained_seconds=drained,
        concurrency=concurrency,
        seconds=seconds,
        logins_per_s=login.rps,
        login_p50_ms=login.p50_ms,
        login_p99_ms=login.p99_ms,
        login_errors=login.errors,
        # A worker replaced meanwhile takes its CPU time with it: then a lower bound.
        server_cpu_ms_per_login=max(cpu, 0.0) / served * 1000 if served else 0.0,
        read_alone_rps=alone.rps,
        read_alone_p50_ms=alone.p50_ms,
        read_alone_p99_ms=alone.p99_ms,
        read_flood_rps=flood_read.rps,
        read_flood_p50_ms=flood_read.p50_ms,
        read_flood_p99_ms=flood_read.p99_ms,
        read_flood_errors=flood_read.errors,
        logins_during_flood_per_s=flood_login.rps,
        rss_mb_per_worker_after=max(procs.peak_rss_mb(pid) for pid in now),
    )

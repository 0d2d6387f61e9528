"""rolegate benchmark: every PATCH against PostgreSQL's own ceiling, in one run.

    .venv/bin/python bench/run.py            # full run (~11 min): c=1,16,64 x 15 s, 1->2 workers
    .venv/bin/python bench/run.py --smoke    # proof that every part runs: c=16 x 3 s

See bench/README.md for what is measured and how to read the table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import dataset  # noqa: E402
import loadgen  # noqa: E402
import login  # noqa: E402
import pgbench  # noqa: E402
import procs  # noqa: E402
import reference  # noqa: E402
import sqlcapture  # noqa: E402
from endpoints import ENDPOINTS, READS, WRITES, Endpoint, Request  # noqa: E402

TARGETS = 64  # distinct targets per endpoint; x2 role sets = 128 variants (pgbench's max)


@dataclass
class Row:
    endpoint: str
    workers: int
    concurrency: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    pgbench_tps: float | None
    ratio: float | None
    rss_mb_per_worker: float
    generator_cpu: float
    machine_busy: float
    # rolegate's own CPU (all workers, user + system) per request served: the cost the
    # ratio hides, and steadier than req/s on a shared machine.
    server_cpu_ms: float
    # Each alternating round's ratio, in order (one entry unless the point had rounds).
    round_ratios: list[float] = field(default_factory=list)
    # Connections rolegate opened while under load (all rounds): 0 with a steady pool.
    connections_opened: int = 0
    # pgbench on the fixed reference transaction (reference.py), in the same rounds:
    # a ceiling that does not rise when rolegate's SQL gets shorter. Writes only.
    reference_tps: float | None = None
    reference_ratio: float | None = None
    reference_round_ratios: list[float] = field(default_factory=list)


def rolegate_bin() -> str:
    candidate = Path(sys.executable).parent / "rolegate"
    return str(candidate) if candidate.exists() else "rolegate"


def sh(cmd: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {done.stderr[-2000:]}")
    return done.stdout


def start_postgres(data_dir: Path) -> Any:
    """The embedded server, restarted once with room for pgbench's clients beside rolegate's
    pools (2 workers x pool 20 + pgbench -c 64 > the default 100)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from rolegate.embedded import start_embedded

        pg = start_embedded(data_dir)
        pg.psql("ALTER SYSTEM SET max_connections = 300;" + sqlcapture.LOG_SETTINGS)
        pg.cleanup()  # our handle is the only one: this stops the server
        return start_embedded(data_dir)


def mint_credentials(kind: str, data: dataset.Dataset, env: dict[str, str]) -> dict[str, str]:
    """Request headers for one surface, minted by rolegate's own CLI."""
    if kind == "infisical":
        token = sh(
            [rolegate_bin(), "token", "infisical", "--identity", data.admin_identity_id], env
        ).strip()
        return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if kind == "csp":
        # CSP clients send the access token in their own header (what the API-token
        # exchange would hand them; the CLI mints the same token for a seeded user).
        token = sh([rolegate_bin(), "token", "csp", "--user", data.owner_email], env).strip()
        return {"csp-auth-token": token, "Content-Type": "application/json"}
    if kind == "ctrlhub":
        token = sh([rolegate_bin(), "token", "ctrlhub", "--user", data.owner_email], env).strip()
        return {
            "X-Session-Token": token,
            "Content-Type": "application/vnd.api+json",
            "Accept": "application/vnd.api+json",
        }
    raise NotImplementedError(f"no credential minting for surface {kind!r} in the bench yet")


def send(base: str, request: Request, headers: dict[str, str]) -> None:
    """One request; anything but a 2xx (D answers 200 with an empty body) stops the run."""
    http = urllib.request.Request(  # noqa: S310 - loopback URL we built
        base + request.path,
        method=request.method,
        data=None if request.body is None else json.dumps(request.body).encode(),
        headers=headers,
    )
    try:
        with urllib.request.urlopen(http, timeout=10) as response:  # noqa: S310
            response.read()
            status = int(response.status)
    except urllib.error.HTTPError as exc:  # 4xx/5xx: say what the server said
        raise RuntimeError(
            f"{request.method} {request.path} answered {exc.code}: {exc.read()[:500]!r}"
        ) from exc
    if not 200 <= status < 300:
        raise RuntimeError(f"{request.method} {request.path} answered {status}")


def capture_sql(
    pg: Any, server: procs.Server, requests: list[Request], headers: dict[str, str], out: Path
) -> list[list[sqlcapture.Statement]]:
    """Send each variant once with log_statement=all; cut the log into one txn per request."""
    log = Path(pg.pgdata) / "log"
    offset = log.stat().st_size
    pg.psql("ALTER SYSTEM SET log_statement = 'all'; SELECT pg_reload_conf();")
    time.sleep(0.3)  # the reload reaches every backend before their next command
    try:
        for request in requests:
            send(server.base, request, headers)
            pg.psql(f"{sqlcapture.REQUEST_END};")
    finally:
        pg.psql("ALTER SYSTEM RESET log_statement; SELECT pg_reload_conf();")
    with log.open("rb") as handle:
        handle.seek(offset)
        text = handle.read().decode(errors="replace")
    captured = sqlcapture.split_requests(sqlcapture.parse_log(text))
    if len(captured) != len(requests):
        raise RuntimeError(
            f"captured {len(captured)} transactions for {len(requests)} requests; see {log}"
        )
    out.mkdir(parents=True, exist_ok=True)
    (out / "captured.log").write_text(text)
    return captured


def rss_per_worker(server: procs.Server) -> float:
    pids = server.worker_pids() or [server.proc.pid]
    return max(procs.peak_rss_mb(pid) for pid in pids)


def measure_point(
    endpoint: Endpoint,
    server: procs.Server,
    wrk: str,
    script: Path,
    concurrency: int,
    seconds: float,
    logs: Path,
    socket_dir: str,
) -> tuple[loadgen.LoadResult, float, float, int]:
    """wrk's result, how busy the CPUs were, rolegate's CPU ms per request and the
    connections it opened meanwhile."""
    pids = server.worker_pids() or [server.proc.pid]
    sessions_before = pgbench.sessions_opened(socket_dir, "rolegate")
    cpu_before = sum(procs.cpu_seconds(pid) for pid in pids)
    before = procs.machine_busy()
    result = loadgen.run_wrk(
        wrk, server.base, script, concurrency, seconds, logs / f"wrk-{endpoint.key}.log"
    )
    busy = procs.busy_fraction(before, procs.machine_busy())
    cpu = sum(procs.cpu_seconds(pid) for pid in pids) - cpu_before
    # Minus 1: one reading's own psql session. Backends report their statistics within
    # a second or so, so this is a count to read as "none" or "some", not to the unit.
    opened = max(0, pgbench.sessions_opened(socket_dir, "rolegate") - sessions_before - 1)
    served = result.rps * seconds
    return result, busy, cpu / served * 1000 if served else 0.0, opened


def measure_pair(
    endpoint: Endpoint,
    *,
    server: procs.Server,
    wrk: str,
    script: Path,
    scripts: list[Path],
    reference_scripts: list[Path],
    socket_dir: str,
    concurrency: int,
    seconds: float,
    rounds: int,
    logs: Path,
) -> Row:
    """rolegate, then pgbench, alternating ``rounds`` times (``seconds`` in all for each).

    The machine is shared: its speed drifts by tens of percent within a minute. Measured
    back to back once, a drift between the two halves lands whole in the ratio; in short
    alternating slices it hits both sides alike. Each figure is the median of the rounds,
    and the ratio the median of the rounds' ratios.
    """
    slice_seconds = max(1.0, seconds / rounds)
    loads, busies, cpus, tps, ref_tps = [], [], [], [], []
    opened = 0
    for _ in range(rounds):
        load, busy, cpu_ms, opened_now = measure_point(
            endpoint, server, wrk, script, concurrency, slice_seconds, logs, socket_dir
        )
        opened += opened_now
        ceiling = pgbench.run(
            scripts,
            socket_dir=socket_dir,
            database="rolegate",
            concurrency=concurrency,
            seconds=slice_seconds,
            log=logs / f"pgbench-{endpoint.key}.log",
        )
        if reference_scripts:
            ref_tps.append(
                pgbench.run(
                    reference_scripts,
                    socket_dir=socket_dir,
                    database="rolegate",
                    concurrency=concurrency,
                    seconds=slice_seconds,
                    log=logs / f"pgbench-ref-{endpoint.key}.log",
                ).tps
            )
        loads.append(load)
        busies.append(busy)
        cpus.append(cpu_ms)
        tps.append(ceiling.tps)
    ratios = [load.rps / t for load, t in zip(loads, tps, strict=True) if t]
    ref_ratios = [load.rps / t for load, t in zip(loads, ref_tps, strict=False) if t]
    return Row(
        endpoint=endpoint.key,
        workers=server.workers,
        concurrency=concurrency,
        rps=statistics.median(load.rps for load in loads),
        p50_ms=statistics.median(load.p50_ms for load in loads),
        p99_ms=statistics.median(load.p99_ms for load in loads),
        errors=sum(load.errors for load in loads),
        pgbench_tps=statistics.median(tps) if all(tps) else None,
        ratio=statistics.median(ratios) if ratios else None,
        rss_mb_per_worker=rss_per_worker(server),
        generator_cpu=max(load.generator_cpu for load in loads),
        machine_busy=statistics.median(busies),
        server_cpu_ms=statistics.median(cpus),
        round_ratios=ratios,
        connections_opened=opened,
        reference_tps=statistics.median(ref_tps) if ref_tps and all(ref_tps) else None,
        reference_ratio=statistics.median(ref_ratios) if ref_ratios else None,
        reference_round_ratios=ref_ratios,
    )


def bench_endpoint(
    endpoint: Endpoint,
    *,
    pg: Any,
    socket_dir: str,
    server: procs.Server,
    data: dataset.Dataset,
    env: dict[str, str],
    wrk: str,
    concurrencies: list[int],
    seconds: float,
    rounds: int,
    target_rounds: int,
    work: Path,
) -> tuple[list[Row], dict[str, Any]]:
    requests = endpoint.requests(data, TARGETS)
    headers = mint_credentials(endpoint.auth, data, env)
    for request in endpoint.setup(data, TARGETS) if endpoint.setup else []:
        send(server.base, request, headers)
    script = loadgen.write_script(work / f"wrk-{endpoint.key}.lua", requests, headers)
    logs = work / "logs"
    # Warm-up: every worker's pool, prepared-statement cache and code paths.
    loadgen.run_wrk(wrk, server.base, script, 16, 2, logs / "warmup.log")
    time.sleep(1)  # requests wrk left in flight finish before the log window opens
    captured = capture_sql(pg, server, requests, headers, work / f"sql-{endpoint.key}")
    scripts = sqlcapture.write_scripts(captured, work / f"sql-{endpoint.key}", endpoint.key)
    reference_scripts = (
        reference.write_scripts(endpoint.key, data, TARGETS, work / f"ref-{endpoint.key}")
        if reference.has_reference(endpoint.key)
        else []
    )
    info = {
        "statements_per_request": [len(r) for r in captured],
        "example_statements": sqlcapture.describe(captured[-1]),
    }
    rows = []
    for c in concurrencies:
        # The target point gets more alternating rounds of the same slice length: one
        # 15 s pair lands anywhere from 0.23 to 0.40 on this shared host (bench/README.md).
        point_rounds = rounds
        if is_target(endpoint.key, server.workers, c):
            point_rounds = max(rounds, target_rounds)
        rows.append(
            measure_pair(
                endpoint,
                server=server,
                wrk=wrk,
                script=script,
                scripts=scripts,
                reference_scripts=reference_scripts,
                socket_dir=socket_dir,
                concurrency=c,
                seconds=seconds / rounds * point_rounds,
                rounds=point_rounds,
                logs=logs,
            )
        )
        print_row(rows[-1])
    return rows, info


HEADER = (
    f"{'endpoint':<8} {'workers':>7} {'conc':>5} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
    f"{'errors':>6} {'pgbench':>8} {'ratio':>6} {'RSS MB':>7} {'wrk CPU':>7} {'busy':>5} "
    f"{'CPU ms/req':>10} {'conns':>5} {'ref tps':>8} {'ref ratio':>9}"
)


def fmt_row(r: Row) -> str:
    tps = f"{r.pgbench_tps:8.0f}" if r.pgbench_tps else f"{'-':>8}"
    ratio = f"{r.ratio:6.2f}" if r.ratio is not None else f"{'-':>6}"
    ref_tps = f"{r.reference_tps:8.0f}" if r.reference_tps else f"{'-':>8}"
    ref_ratio = f"{r.reference_ratio:9.2f}" if r.reference_ratio is not None else f"{'-':>9}"
    return (
        f"{r.endpoint:<8} {r.workers:>7} {r.concurrency:>5} {r.rps:8.0f} {r.p50_ms:8.2f} "
        f"{r.p99_ms:8.2f} {r.errors:>6} {tps} {ratio} {r.rss_mb_per_worker:7.1f} "
        f"{r.generator_cpu:6.0%} {r.machine_busy:5.0%} {r.server_cpu_ms:10.2f} "
        f"{r.connections_opened:>5} {ref_tps} {ref_ratio}"
    )


def print_row(r: Row) -> None:
    print("  " + fmt_row(r), flush=True)


def cold_start(data_dir: Path, env: dict[str, str], logs: Path) -> float:
    """``rolegate serve`` on the existing data dir, PostgreSQL stopped: seconds to /readyz."""
    cold_env = {k: v for k, v in env.items() if k != "ROLEGATE_DATABASE_URL"}
    cold_env["ROLEGATE_DATA_DIR"] = str(data_dir)
    server = procs.start_server(rolegate_bin(), cold_env, 2, logs / "serve-cold.log")
    server.stop()  # stops the embedded PostgreSQL too: the next start is cold again
    return server.ready_seconds


def cold_starts(data_dir: Path, env: dict[str, str], logs: Path, times: int) -> list[float]:
    return [cold_start(data_dir, env, logs) for _ in range(times)]


def is_target(endpoint: str, workers: int, concurrency: int) -> bool:
    """The points the issue's targets are about; the other rows are reported."""
    return endpoint in ("A", "PC") and workers == 2 and concurrency == 16


def _rounds(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


def targets_report(rows: list[Row], colds: list[float]) -> list[str]:
    lines = []

    def check(text: str, ok: bool) -> None:
        lines.append(f"  [{'ok' if ok else 'MISS'}] {text}")

    for r in rows:
        if not is_target(r.endpoint, r.workers, r.concurrency):
            continue
        where = f"{r.endpoint} c=16"
        if r.endpoint == "A":
            ref = r.reference_ratio or 0
            check(
                f"{where}: {ref:.2f} of the fixed reference (>= 0.5, floor 0.3); rounds "
                f"{_rounds(r.reference_round_ratios)}; replayed-SQL ratio {r.ratio or 0:.2f}"
                f" (rounds {_rounds(r.round_ratios)})",
                ref >= 0.5,
            )
            check(f"{where}: fixed-reference floor {ref:.2f} >= 0.3", ref >= 0.3)
            check(f"{where}: p99 {r.p99_ms / r.p50_ms:.1f}x p50 (<= 3x)", r.p99_ms <= 3 * r.p50_ms)
            check(
                f"{where}: peak RSS/worker {r.rss_mb_per_worker:.0f} MB (< 150)",
                r.rss_mb_per_worker < 150,
            )
        else:
            check(f"{where}: {r.rps:.0f} req/s (>= 2000 on 2 cores)", r.rps >= 2000)
            check(
                f"{where}: {r.ratio or 0:.2f} of pgbench on the same read (>= 0.5); rounds "
                f"{_rounds(r.round_ratios)}",
                (r.ratio or 0) >= 0.5,
            )
        check(f"{where}: errors {r.errors} (0)", r.errors == 0)
    if colds:
        cold = statistics.median(colds)
        check(
            f"cold start to /readyz {cold:.2f} s, median of {len(colds)} ({_rounds(colds)})"
            " (< 2 s)",
            cold < 2,
        )
    return lines


def git_rev() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _stop_on_sigterm(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # unwinds through the finally blocks: server and PG stopped


def main() -> int:
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="3 s points at c=16: it runs")
    parser.add_argument("--seconds", type=float, help="seconds per point (default 15, smoke 3)")
    parser.add_argument("--concurrency", help="comma list (default 1,16,64; smoke 16)")
    parser.add_argument(
        "--rounds",
        type=int,
        help="rolegate/pgbench alternations per point, each --seconds/rounds long (default 1;"
        " keep slices >= 15 s: pgbench prepares 128 scripts per client at the start of each"
        " run, which makes shorter runs understate the ceiling)",
    )
    parser.add_argument(
        "--target-rounds",
        type=int,
        help="alternations for the targets' point (A, 2 workers, c=16), each slice as long"
        " as the other points' (default 3; smoke 1)",
    )
    parser.add_argument(
        "--endpoints",
        help=f"comma list of endpoint keys, e.g. A,PC (default: the writes {','.join(WRITES)}"
        f" and the reads {','.join(READS)})",
    )
    parser.add_argument(
        "--cold-starts", type=int, help="cold starts to time, median reported (default 5, smoke 1)"
    )
    parser.add_argument("--label", default="", help="suffix for the results file name")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs, scripts)")
    parser.add_argument("--no-scale-out", action="store_true", help="skip the 1-worker point")
    parser.add_argument("--no-login", action="store_true", help="skip the login flood")
    parser.add_argument(
        "--source",
        help="serve rolegate from this checkout's src/ (bench/compare.py uses it to measure "
        "several revisions in one sitting)",
    )
    args = parser.parse_args()
    if args.source:
        src = str(Path(args.source).resolve() / "src")
        entry = Path(src) / "rolegate" / "__main__.py"
        if not entry.exists():
            # This venv's `rolegate` script runs rolegate.__main__:main, which revisions
            # before 19c4329 lack: give their export the entry point they had.
            entry.write_text("from rolegate.cli import app\n\n\ndef main() -> None:\n    app()\n")
        os.environ["PYTHONPATH"] = os.pathsep.join(
            p for p in (src, os.environ.get("PYTHONPATH")) if p
        )
        # Served from the checkout's own directory: from this one, uvicorn's workers were
        # seen importing this tree's src/ despite PYTHONPATH.
        os.chdir(Path(args.source).resolve())

    seconds = args.seconds or (3.0 if args.smoke else 15.0)
    rounds = args.rounds or 1
    target_rounds = args.target_rounds or (1 if args.smoke else 3)
    # 0 means none: `or` would have read it as "not given".
    cold_start_count = (
        args.cold_starts if args.cold_starts is not None else (1 if args.smoke else 5)
    )
    concurrencies = [
        int(c) for c in (args.concurrency or ("16" if args.smoke else "1,16,64")).split(",")
    ]
    known = [e.key for e in ENDPOINTS]
    wanted = {k.strip().upper() for k in args.endpoints.split(",")} if args.endpoints else None
    if wanted is not None and not wanted <= set(known):
        parser.error(
            f"--endpoints: unknown {', '.join(sorted(wanted - set(known)))}"
            f" (known: {', '.join(known)})"
        )
    endpoints = [e for e in ENDPOINTS if wanted is None or e.key in wanted]
    scale_out = not (args.smoke or args.no_scale_out)

    wrk = loadgen.ensure_wrk()
    started = time.perf_counter()
    load_before = procs.loadavg()
    idle_sample = procs.machine_busy()
    time.sleep(1 if args.smoke else 2)
    background_busy = procs.busy_fraction(idle_sample, procs.machine_busy())
    print(
        f"machine: {os.cpu_count()} CPUs, load average {load_before:.2f}, "
        f"busy {background_busy:.0%} before the bench started (other work on the machine)",
        flush=True,
    )

    work = Path(tempfile.mkdtemp(prefix="rolegate-bench-"))
    work.chmod(0o755)  # the embedded server runs as its own system user when we are root
    logs = work / "logs"
    logs.mkdir()
    data_dir = work / "data"
    # Smoke: a smaller data set (still 80 group and 80 identity memberships and 64
    # templates, enough for 64 targets; 40 groups make 40 targets for D and E).
    size = (
        dataset.Size(projects=10, groups=40, identities=40, users=40)
        if args.smoke
        else dataset.Size()
    )
    data = dataset.build(size)
    seed_file = work / "seed.json"
    seed_file.write_text(json.dumps(data.seed))

    pg = start_postgres(data_dir)
    server: procs.Server | None = None
    rows: list[Row] = []
    info: dict[str, Any] = {}
    logins: login.LoginReport | None = None
    colds: list[float] = []
    try:
        from rolegate.embedded import embedded_url

        url = embedded_url(pg)
        socket_dir = parse_qs(urlparse(url).query)["host"][0]
        env = dict(
            os.environ,
            ROLEGATE_DATABASE_URL=url,
            ROLEGATE_LOG_LEVEL="warning",
            PGSSLMODE="disable",
        )
        # No SMTP: D's notifications stay in the outbox table. A delivery worker would
        # add its own polling transactions to the statement log and to the load.
        env.pop("ROLEGATE_SMTP_URL", None)
        served = sh([sys.executable, "-c", "import rolegate; print(rolegate.__file__)"], env)
        print(f"rolegate package: {Path(served.strip()).parent}")
        t0 = time.perf_counter()
        sh([rolegate_bin(), "seed", str(seed_file)], env)
        seed_seconds = time.perf_counter() - t0
        print(f"seeded in {seed_seconds:.1f} s: {len(data.project_groups)} group memberships")

        server = procs.start_server(rolegate_bin(), env, 2, logs / "serve.log")
        print(
            f"rolegate serve --workers 2 on :{server.port} (ready in {server.ready_seconds:.2f} s)"
        )
        print(HEADER)
        for endpoint in endpoints:
            endpoint_rows, endpoint_info = bench_endpoint(
                endpoint,
                pg=pg,
                socket_dir=socket_dir,
                server=server,
                data=data,
                env=env,
                wrk=wrk,
                concurrencies=concurrencies,
                seconds=seconds,
                rounds=rounds,
                target_rounds=target_rounds,
                work=work,
            )
            rows += endpoint_rows
            info[endpoint.key] = endpoint_info
        if not args.no_login:
            logins = login.measure(
                server=server,
                wrk=wrk,
                data=data,
                read_headers=mint_credentials("infisical", data, env),
                client_id=dataset.ADMIN_CLIENT_ID,
                client_secret=dataset.ADMIN_CLIENT_SECRET,
                concurrency=16,
                # A login takes long enough that a short slice may see none finish.
                seconds=max(seconds, 15.0),
                work=work,
            )
            for line in logins.lines():
                print("  " + line, flush=True)
        if scale_out:
            server.stop()
            server = procs.start_server(rolegate_bin(), env, 1, logs / "serve-1.log")
            for endpoint in endpoints:
                script = work / f"wrk-{endpoint.key}.lua"
                loadgen.run_wrk(wrk, server.base, script, 16, 2, logs / "warmup.log")
                load, busy, cpu_ms, opened = measure_point(
                    endpoint, server, wrk, script, 16, seconds, logs, socket_dir
                )
                paired = next(r for r in rows if r.endpoint == endpoint.key and r.concurrency == 16)
                rows.append(
                    Row(
                        endpoint=endpoint.key,
                        workers=1,
                        concurrency=16,
                        rps=load.rps,
                        p50_ms=load.p50_ms,
                        p99_ms=load.p99_ms,
                        errors=load.errors,
                        pgbench_tps=paired.pgbench_tps,
                        ratio=load.rps / paired.pgbench_tps if paired.pgbench_tps else None,
                        rss_mb_per_worker=rss_per_worker(server),
                        generator_cpu=load.generator_cpu,
                        machine_busy=busy,
                        server_cpu_ms=cpu_ms,
                        connections_opened=opened,
                    )
                )
                print_row(rows[-1])
        server.stop()
        server = None
    finally:
        if server is not None:
            server.stop()
        pg.cleanup()  # the last handle: stops the embedded server
    colds = cold_starts(data_dir, env, logs, cold_start_count)

    total = time.perf_counter() - started
    load_after = procs.loadavg()
    print()
    print(
        f"rolegate {git_rev()} | {os.cpu_count()} CPUs | load avg {load_before:.2f} -> "
        f"{load_after:.2f} | background busy {background_busy:.0%} | {seconds:.0f} s per point"
        f" in {rounds} alternating round(s) with pgbench ({target_rounds} for A c=16)"
    )
    print(HEADER)
    for r in rows:
        print(fmt_row(r))
    for key, endpoint_info in info.items():
        counts = sorted(set(endpoint_info["statements_per_request"]))
        print(f"{key}: statements per request (from the PostgreSQL log): {counts}")
    scale = {r.endpoint: r.rps for r in rows if r.workers == 1 and r.concurrency == 16}
    for key, one in scale.items():
        two = next(
            r.rps for r in rows if r.endpoint == key and r.workers == 2 and r.concurrency == 16
        )
        print(f"{key}: 1 -> 2 workers at c=16: {one:.0f} -> {two:.0f} req/s ({two / one:.2f}x)")
    print(f"cold start (PostgreSQL stopped, existing data dir) to /readyz 200: {_rounds(colds)} s")
    for line in logins.lines() if logins else []:
        print(line)
    report = targets_report(rows, colds)
    print("\n".join(report))
    print(f"total {total:.0f} s")

    results = HERE / "results"
    results.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    name = stamp + ("-smoke" if args.smoke else "") + (f"-{args.label}" if args.label else "")
    out = results / f"{name}.json"
    out.write_text(
        json.dumps(
            {
                "git": git_rev(),
                "source": args.source,
                "mode": "smoke" if args.smoke else "full",
                "seconds_per_point": seconds,
                "rounds_per_point": rounds,
                "rounds_for_targets_point": target_rounds,
                "cpus": os.cpu_count(),
                "loadavg_before": load_before,
                "loadavg_after": load_after,
                "background_busy": background_busy,
                "cold_start_seconds": statistics.median(colds) if colds else None,
                "cold_starts_seconds": colds,
                "rows": [asdict(r) for r in rows],
                "endpoints": info,
                "login": logins.as_dict() if logins else None,
                "targets": report,
                "total_seconds": total,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"results: {out.relative_to(ROOT)}")
    if args.keep:
        print(f"work dir kept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if any(r.errors for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())

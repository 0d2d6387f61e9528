"""What ROLEGATE_DATABASE_READ_URL buys: the benchmark's reads with and without a standby.

    .venv/bin/python bench/read_replica.py [--seconds 8] [--rounds 2] [--concurrency 16]
                                           [--writers 4] [--smoke]

A primary and a streaming hot standby on loopback TCP (``cluster.Node``, asynchronous
replication), the smoke data set, and two ``rolegate serve --workers 2`` over it:
``primary`` (no read URL: today's behaviour) and ``replica`` (the standby as
``ROLEGATE_DATABASE_READ_URL``). For each read the benchmark defines (``endpoints.READS``:
GA, EP, PC, GE), each round runs wrk against the two in turn, alone and while a second wrk
sends endpoint A's PATCHes (``--writers`` connections) to the same server; the table
shows each one's median over the rounds: read req/s, p50, the write req/s beside them, and
the CPU the primary's and the standby's PostgreSQL processes spent per read.

All of it shares one host: the standby's CPU is taken from the same cores as the
primary's, rolegate's and wrk's, so the req/s say little about separate machines. The
CPU columns say where the database work went (bench/README.md, "Read replica").
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import cluster  # noqa: E402
import dataset  # noqa: E402
import loadgen  # noqa: E402
import procs  # noqa: E402
import run  # noqa: E402
from endpoints import ENDPOINTS, READS  # noqa: E402

MODES = ("primary", "replica")


def pg_cpu(node: cluster.Node) -> float:
    """CPU seconds of a PostgreSQL server so far: the postmaster and every backend."""
    pid = int((node.data / "postmaster.pid").read_text().split()[0])
    return sum(procs.cpu_seconds(p) for p in [pid, *procs.children(pid)])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds per slice")
    parser.add_argument("--rounds", type=int, default=2, help="alternations per row")
    parser.add_argument("--concurrency", type=int, default=16, help="read connections")
    parser.add_argument("--writers", type=int, default=4, help="PATCH connections (0: none)")
    parser.add_argument("--smoke", action="store_true", help="one short round: proves it runs")
    args = parser.parse_args()
    if args.smoke:
        args.seconds, args.rounds = 2.0, 1
    wrk = loadgen.ensure_wrk()
    started = time.perf_counter()
    load_before = procs.loadavg()
    root = cluster.workdir("rolegate-bench-read-replica-")
    logs = root / "logs"
    logs.mkdir()
    primary = cluster.Node(root, "primary")
    standby = cluster.Node(root, "standby")
    servers: dict[str, procs.Server] = {}
    lines: list[str] = []
    try:
        primary.initdb({"max_connections": "300", "wal_level": "replica"})
        primary.start()
        primary.psql("CREATE DATABASE rolegate")
        standby.base_backup(primary, {"max_connections": "300", "hot_standby": "on"})
        standby.start()
        data = dataset.build(dataset.Size(projects=10, groups=40, identities=40, users=40))
        seed = root / "seed.json"
        seed.write_text(json.dumps(data.seed))
        env = dict(os.environ, ROLEGATE_DATABASE_URL=primary.url(), ROLEGATE_LOG_LEVEL="warning")
        for name in ("ROLEGATE_SMTP_URL", "ROLEGATE_DATABASE_READ_URL", "ROLEGATE_DB__PGBOUNCER"):
            env.pop(name, None)
        run.sh([run.rolegate_bin(), "migrate"], env)
        run.sh([run.rolegate_bin(), "seed", str(seed)], env)
        envs = {"primary": env, "replica": dict(env, ROLEGATE_DATABASE_READ_URL=standby.url())}
        for mode in MODES:
            servers[mode] = procs.start_server(
                run.rolegate_bin(), envs[mode], 2, logs / f"serve-{mode}.log"
            )
        writes = next(e for e in ENDPOINTS if e.key == "A")
        write_script = loadgen.write_script(
            root / "wrk-A.lua",
            writes.requests(data, run.TARGETS),
            run.mint_credentials(writes.auth, data, env),
        )
        scripts = {}
        for endpoint in (e for e in ENDPOINTS if e.key in READS):
            headers = run.mint_credentials(endpoint.auth, data, env)
            requests = endpoint.requests(data, run.TARGETS)
            scripts[endpoint.key] = loadgen.write_script(
                root / f"wrk-{endpoint.key}.lua", requests, headers
            )
        cluster.wait_caught_up(primary, standby)  # tokens minted on the primary are on the standby
        for mode in MODES:  # warm-up: pools (both), caches, code paths
            for script in scripts.values():
                loadgen.run_wrk(wrk, servers[mode].base, script, 16, 1, logs / "warmup.log")
        header = (
            f"{'read':<4} {'writes':>6} {'mode':<8} {'req/s':>7} {'x prim':>6} {'p50 ms':>7}"
            f" {'PATCH/s':>7} {'primary PG ms/read':>18} {'standby PG ms/read':>18} {'err':>4}"
        )
        print(header, flush=True)
        lines.append(header)
        for key, script in scripts.items():
            for writers in sorted({0, args.writers}):
                figures: dict[str, list[tuple[float, float, float, float, float, int]]] = {
                    m: [] for m in MODES
                }
                for _ in range(args.rounds):
                    for mode in MODES:
                        base = servers[mode].base
                        cpu = (pg_cpu(primary), pg_cpu(standby))
                        with ThreadPoolExecutor(max_workers=1) as pool:
                            writing = (
                                pool.submit(
                                    loadgen.run_wrk,
                                    wrk,
                                    base,
                                    write_script,
                                    writers,
                                    args.seconds,
                                    logs / "wrk-writes.log",
                                )
                                if writers
                                else None
                            )
                            load = loadgen.run_wrk(
                                wrk,
                                base,
                                script,
                                args.concurrency,
                                args.seconds,
                                logs / f"wrk-{key}.log",
                            )
                            written = writing.result() if writing else None
                        served = load.rps * load.seconds or 1.0
                        figures[mode].append(
                            (
                                load.rps,
                                load.p50_ms,
                                written.rps if written else 0.0,
                                (pg_cpu(primary) - cpu[0]) / served * 1000,
                                (pg_cpu(standby) - cpu[1]) / served * 1000,
                                load.errors + (written.errors if written else 0),
                            )
                        )
                base_rps = statistics.median(f[0] for f in figures["primary"])
                for mode in MODES:
                    rows = figures[mode]

                    def median(i: int, rows: list[tuple[float, ...]] = rows) -> float:
                        return statistics.median(r[i] for r in rows)

                    line = (
                        f"{key:<4} {writers:>6} {mode:<8} {median(0):>7.0f}"
                        f" {median(0) / base_rps:>6.2f} {median(1):>7.2f} {median(2):>7.0f}"
                        f" {median(3):>18.2f} {median(4):>18.2f}"
                        f" {sum(r[5] for r in rows):>4}"
                    )
                    print(line, flush=True)
                    lines.append(line)
        replica_log = servers["replica"].log.read_text(errors="replace")
        fallbacks = replica_log.count("read replica unavailable")
    finally:
        for server in servers.values():
            server.stop()
        standby.stop("immediate")
        primary.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)
    revision = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    print(
        f"\nrolegate {revision} | {os.cpu_count()} CPUs | load avg {load_before:.2f} -> "
        f"{procs.loadavg():.2f} | {args.seconds:.0f} s slices x {args.rounds} rounds, reads at"
        f" c={args.concurrency}, writes at c={args.writers} | replica fallbacks logged:"
        f" {fallbacks} | {time.perf_counter() - started:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

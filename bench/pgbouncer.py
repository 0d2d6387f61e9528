"""What ROLEGATE_DB__PGBOUNCER and PgBouncer cost: endpoint A three ways, alternating.

    .venv/bin/python bench/pgbouncer.py [--seconds 10] [--rounds 3] [--concurrency 1,16]

One PostgreSQL on loopback TCP (``cluster.Node``), PgBouncer in transaction pooling in
front of it, the smoke data set, and three ``rolegate serve --workers 2`` over the same
data: ``direct`` (the default settings, straight to PostgreSQL), ``setting`` (with
``ROLEGATE_DB__PGBOUNCER=true``, still straight to PostgreSQL: the cost of unnamed
statements and of the per-transaction timeout alone) and ``pgbouncer`` (the setting, and
every connection through PgBouncer). For each concurrency, each round runs wrk on
endpoint A against the three in turn, so a drift in the shared host's speed hits all
three alike; the table shows each one's median over the rounds. Read the ratios to
``direct``, not the absolute figures (bench/README.md, "Reading it").
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
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import cluster  # noqa: E402
import dataset  # noqa: E402
import loadgen  # noqa: E402
import procs  # noqa: E402
import run  # noqa: E402
from endpoints import ENDPOINTS  # noqa: E402

MODES = ("direct", "setting", "pgbouncer")


def _rows(
    servers: dict[str, procs.Server],
    wrk: str,
    script: Path,
    concurrency: int,
    seconds: float,
    rounds: int,
    logs: Path,
) -> list[str]:
    figures: dict[str, list[tuple[float, float, float, int]]] = {m: [] for m in MODES}
    for _ in range(rounds):
        for mode in MODES:
            server = servers[mode]
            pids = server.worker_pids() or [server.proc.pid]
            cpu_before = sum(procs.cpu_seconds(pid) for pid in pids)
            load = loadgen.run_wrk(
                wrk, server.base, script, concurrency, seconds, logs / f"wrk-{mode}.log"
            )
            cpu = sum(procs.cpu_seconds(pid) for pid in pids) - cpu_before
            served = load.rps * load.seconds
            cpu_ms = cpu / served * 1000 if served else 0.0
            figures[mode].append((load.rps, load.p50_ms, cpu_ms, load.errors))
    base = statistics.median(f[0] for f in figures["direct"])
    lines = []
    for mode in MODES:
        rps = statistics.median(f[0] for f in figures[mode])
        p50 = statistics.median(f[1] for f in figures[mode])
        cpu_ms = statistics.median(f[2] for f in figures[mode])
        errors = sum(f[3] for f in figures[mode])
        lines.append(
            f"{mode:<10} {concurrency:>5} {rps:>8.0f} {rps / base:>8.2f} {p50:>8.2f}"
            f" {cpu_ms:>10.2f} {errors:>6}"
        )
        print(lines[-1], flush=True)
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds per slice")
    parser.add_argument("--rounds", type=int, default=3, help="alternations per concurrency")
    parser.add_argument("--concurrency", default="1,16", help="comma list")
    args = parser.parse_args()
    if not (shutil.which("pgbouncer") or Path("/usr/sbin/pgbouncer").exists()):
        sys.exit("needs PgBouncer: apt-get install pgbouncer (Debian package)")
    wrk = loadgen.ensure_wrk()
    started = time.perf_counter()
    load_before = procs.loadavg()
    root = cluster.workdir("rolegate-bench-pgbouncer-")
    logs = root / "logs"
    logs.mkdir()
    node = cluster.Node(root, "pg")
    node.initdb({"max_connections": "300"})
    node.start()
    bouncer: cluster.Bouncer | None = None
    servers: dict[str, procs.Server] = {}
    try:
        node.psql("CREATE DATABASE rolegate")
        bouncer = cluster.Bouncer(root, node)
        data = dataset.build(dataset.Size(projects=10, groups=40, identities=40, users=40))
        seed = root / "seed.json"
        seed.write_text(json.dumps(data.seed))
        env = dict(os.environ, ROLEGATE_DATABASE_URL=node.url(), ROLEGATE_LOG_LEVEL="warning")
        env.pop("ROLEGATE_SMTP_URL", None)
        env.pop("ROLEGATE_DB__PGBOUNCER", None)
        run.sh([run.rolegate_bin(), "migrate"], env)
        run.sh([run.rolegate_bin(), "seed", str(seed)], env)
        envs = {
            "direct": env,
            "setting": dict(env, ROLEGATE_DB__PGBOUNCER="true"),
            "pgbouncer": dict(
                env, ROLEGATE_DB__PGBOUNCER="true", ROLEGATE_DATABASE_URL=bouncer.url()
            ),
        }
        for mode in MODES:
            servers[mode] = procs.start_server(
                run.rolegate_bin(), envs[mode], 2, logs / f"serve-{mode}.log"
            )
        endpoint = next(e for e in ENDPOINTS if e.key == "A")
        requests = endpoint.requests(data, run.TARGETS)
        headers = run.mint_credentials(endpoint.auth, data, env)
        script = loadgen.write_script(root / "wrk-A.lua", requests, headers)
        for mode in MODES:  # warm-up: pools, caches, code paths
            loadgen.run_wrk(wrk, servers[mode].base, script, 16, 2, logs / "warmup.log")
        print(
            f"{'mode':<10} {'conc':>5} {'req/s':>8} {'x direct':>8} {'p50 ms':>8}"
            f" {'CPU ms/req':>10} {'errors':>6}"
        )
        for concurrency in (int(c) for c in args.concurrency.split(",")):
            _rows(servers, wrk, script, concurrency, args.seconds, args.rounds, logs)
    finally:
        for server in servers.values():
            server.stop()
        if bouncer is not None:
            bouncer.close()
        node.stop()
        shutil.rmtree(root, ignore_errors=True)
    revision = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    print(
        f"\nrolegate {revision} | {os.cpu_count()} CPUs | load avg {load_before:.2f} -> "
        f"{procs.loadavg():.2f} | {args.seconds:.0f} s slices x {args.rounds} rounds"
        f" | {time.perf_counter() - started:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

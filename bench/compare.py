"""Measure several revisions of rolegate in one sitting, interleaved, at one load point.

    .venv/bin/python bench/compare.py 01f957d 3fa4220 HEAD [--rounds 2] [--seconds 10]
        [--endpoint A]

Each revision's tree is exported (``git archive``) to a temp dir and served from there by
the current harness (``run.py --source``), so every revision is measured with the same
harness, data set and pgbench replay of its own SQL. Rounds are interleaved (r1 r2 r1 r2)
so that drifting background load hits every revision alike. Prints the ratio
rolegate/pgbench per revision and round; the median is what bench/README.md records.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def export(rev: str, into: Path) -> Path:
    target = into / rev.replace("/", "_")
    target.mkdir()
    archive = subprocess.run(
        ["git", "archive", "--format=tar", rev], cwd=ROOT, capture_output=True, check=True
    ).stdout
    tar_path = into / f"{target.name}.tar"
    tar_path.write_bytes(archive)
    with tarfile.open(tar_path) as tar:
        tar.extractall(target, filter="data")
    # Compiled like a checkout after `make install`, so no revision pays for compiling
    # its modules at every start (PYTHONDONTWRITEBYTECODE) and cold starts compare.
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "src", "migrations"],
        cwd=target,
        capture_output=True,
        check=True,
    )
    return target


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("revs", nargs="+")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--endpoint", default="A", help="the one endpoint to compare (A-E)")
    args = parser.parse_args()
    results: dict[str, list[dict[str, float]]] = {rev: [] for rev in args.revs}
    with tempfile.TemporaryDirectory(prefix="rolegate-compare-") as tmp:
        trees = {rev: export(rev, Path(tmp)) for rev in args.revs}
        for round_ in range(args.rounds):
            for rev in args.revs:
                label = f"compare-{rev}-r{round_}".replace("/", "_")
                done = subprocess.run(
                    [
                        sys.executable,
                        str(HERE / "run.py"),
                        "--source",
                        str(trees[rev]),
                        "--concurrency",
                        str(args.concurrency),
                        "--seconds",
                        str(args.seconds),
                        "--no-scale-out",
                        # Its own rounds alternate the revisions; one pair per run each.
                        "--target-rounds",
                        "1",
                        "--endpoints",
                        args.endpoint,
                        "--label",
                        label,
                    ],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                line = next(
                    (ln for ln in done.stdout.splitlines() if ln.startswith("results: ")), None
                )
                if line is None:
                    print(f"{rev} round {round_}: failed\n{done.stdout[-1500:]}{done.stderr}")
                    continue
                data = json.loads((ROOT / line.split(": ", 1)[1]).read_text())
                row = data["rows"][0]
                point = {
                    "ratio": row["ratio"],
                    "rps": row["rps"],
                    "pgbench": row["pgbench_tps"],
                    "p50": row["p50_ms"],
                    "p99": row["p99_ms"],
                    "rss": row["rss_mb_per_worker"],
                    "cpu": row.get("server_cpu_ms", 0.0),
                    "cold": data["cold_start_seconds"],
                    "statements": max(data["endpoints"][args.endpoint]["statements_per_request"]),
                    "busy": data["background_busy"],
                }
                results[rev].append(point)
                print(
                    f"{rev:>10} r{round_}: ratio {point['ratio']:.2f}  {point['rps']:.0f} req/s"
                    f" vs pgbench {point['pgbench']:.0f} tps  p50 {point['p50']:.1f} ms"
                    f"  p99 {point['p99']:.1f} ms  RSS {point['rss']:.0f} MB"
                    f"  server CPU {point['cpu']:.2f} ms/req"
                    f"  cold {point['cold']:.2f} s  statements {point['statements']}"
                    f"  background busy {point['busy']:.0%}",
                    flush=True,
                )
    print("\nmedian ratio rolegate/pgbench per revision:")
    for rev, points in results.items():
        if points:
            print(
                f"  {rev:>10}: {statistics.median(p['ratio'] for p in points):.2f} "
                f"(rounds: {', '.join(format(p['ratio'], '.2f') for p in points)}), "
                f"statements {points[0]['statements']}, "
                f"server CPU {statistics.median(p['cpu'] for p in points):.2f} ms/req, "
                f"cold start {statistics.median(p['cold'] for p in points):.2f} s, "
                f"RSS {max(p['rss'] for p in points):.0f} MB"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())

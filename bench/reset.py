"""How long ``POST /_rolegate/reset`` and a snapshot restore take under a live server.

Starts ``rolegate serve`` in test mode the way the pytest plugin does (its own data dir
and embedded PostgreSQL, a free port), seeded with the demo seed or the benchmark's data
set (``--dataset``, a few thousand rows), then times reset, snapshot and restore through the
plugin's client and prints median, p95 and max per operation. Figures: bench/README.md.

    .venv/bin/python -m bench.reset [--dataset] [--rounds 30]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rolegate.cli import demo_seed_path
from rolegate.testing import Rolegate
from rolegate.testing.server import EmbeddedServer


def _timed(action: Callable[[], object], rounds: int) -> list[float]:
    spent = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        spent.append((time.perf_counter() - started) * 1000)
    return spent


def _report(name: str, ms: list[float]) -> None:
    p95 = sorted(ms)[max(0, round(len(ms) * 0.95) - 1)]
    print(
        f"{name:<10} median {statistics.median(ms):7.1f} ms   p95 {p95:7.1f} ms"
        f"   max {max(ms):7.1f} ms   (n={len(ms)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", action="store_true", help="the benchmark's data set")
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rolegate-reset-bench-") as tmp:
        seed = demo_seed_path()
        if args.dataset:
            from bench.dataset import build

            seed = Path(tmp) / "seed.json"
            seed.write_text(json.dumps(build().seed))
        server = EmbeddedServer(Path(tmp) / "data", seed)
        server.data_dir.mkdir()
        server.start()
        try:
            client = Rolegate(server.url)
            client.reset()  # warm: the first statements of a worker prepare
            _report("reset", _timed(client.reset, args.rounds))
            _report("snapshot", _timed(lambda: client.snapshot("bench"), args.rounds))
            _report("restore", _timed(lambda: client.restore("bench"), args.rounds))
        finally:
            server.stop()


if __name__ == "__main__":
    main()

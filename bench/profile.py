"""Profile one rolegate worker under load with py-spy and print where the time goes.

    .venv/bin/pip install py-spy        # not a project dependency: a developer tool
    .venv/bin/python bench/profile.py [--seconds 15] [--concurrency 16] [--endpoint A]

Same data set and requests as bench/run.py; one worker, and py-spy attached to it, so
every sample is a request being served. Prints the share of samples by library and the
functions with the most samples of their own; writes a speedscope-compatible raw file.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import dataset  # noqa: E402
import loadgen  # noqa: E402
import procs  # noqa: E402
import run  # noqa: E402
from endpoints import ENDPOINTS  # noqa: E402

BUCKETS = (
    "sqlalchemy",
    "asyncpg",
    "fastapi",
    "starlette",
    "pydantic",
    "uvicorn",
    "jose",
    "structlog",
    "prometheus_client",
    "logging",
    "json",
    "rolegate",
)


def bucket(frame: str) -> str:
    location = frame.rsplit("(", 1)[-1]
    for name in BUCKETS:
        if f"{name}/" in location or location.startswith(name):
            return name
    return "other"


def summarize(raw: Path, top: int = 30) -> None:
    samples = 0
    by_bucket: collections.Counter[str] = collections.Counter()
    self_time: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        n = int(count)
        frames = stack.split(";")
        samples += n
        self_time[frames[-1]] += n
        # The innermost library frame decides who is "spending" the sample.
        by_bucket[next((bucket(f) for f in reversed(frames) if bucket(f) != "other"), "other")] += n
        for frame in set(frames):
            inclusive[frame] += n
    print(f"{samples} samples")
    print("by library (innermost known frame):")
    for name, n in by_bucket.most_common():
        print(f"  {name:<18} {n / samples:6.1%}")
    print("top functions by own samples:")
    for frame, n in self_time.most_common(top):
        print(f"  {n / samples:6.1%}  {frame[:150]}")
    print("rolegate functions by inclusive samples:")
    ours = [(f, n) for f, n in inclusive.items() if "rolegate/" in f]
    for frame, n in sorted(ours, key=lambda item: -item[1])[:top]:
        print(f"  {n / samples:6.1%}  {frame[:150]}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--endpoint", default="A")
    parser.add_argument("--out", default=str(HERE / "results" / "profile.raw"))
    args = parser.parse_args()
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(py_spy).exists():
        sys.exit("install py-spy first: .venv/bin/pip install py-spy")
    wrk = loadgen.ensure_wrk()
    endpoint = next(e for e in ENDPOINTS if e.key == args.endpoint)

    work = Path(tempfile.mkdtemp(prefix="rolegate-profile-"))
    work.chmod(0o755)
    data = dataset.build()
    seed_file = work / "seed.json"
    seed_file.write_text(json.dumps(data.seed))
    pg = run.start_postgres(work / "data")
    server = None
    try:
        from rolegate.embedded import embedded_url

        env = dict(
            os.environ,
            ROLEGATE_DATABASE_URL=embedded_url(pg),
            ROLEGATE_LOG_LEVEL="warning",
            PGSSLMODE="disable",
        )
        run.sh([run.rolegate_bin(), "seed", str(seed_file)], env)
        server = procs.start_server(run.rolegate_bin(), env, 1, work / "serve.log")
        headers = run.mint_credentials(endpoint.auth, data, env)
        for request in endpoint.setup(data, run.TARGETS) if endpoint.setup else []:
            run.send(server.base, request, headers)
        script = loadgen.write_script(
            work / "load.lua", endpoint.requests(data, run.TARGETS), headers
        )
        loadgen.run_wrk(wrk, server.base, script, args.concurrency, 2, work / "warmup.log")
        out = Path(args.out)
        out.parent.mkdir(exist_ok=True)
        worker = (server.worker_pids() or [server.proc.pid])[0]
        spy = subprocess.Popen(
            [
                *(py_spy, "record", "-p", str(worker), "-d", str(args.seconds)),
                *("-f", "raw", "-o", str(out), "--nonblocking"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.5)
        result = loadgen.run_wrk(
            wrk, server.base, script, args.concurrency, args.seconds, work / "wrk.log"
        )
        spy.wait()
        print(
            f"load: {result.rps:.0f} req/s, p50 {result.p50_ms:.1f} ms, "
            f"p99 {result.p99_ms:.1f} ms, errors {result.errors} (1 worker, py-spy attached)"
        )
        summarize(out)
        print(f"raw profile: {out}")
    finally:
        if server is not None:
            server.stop()
        pg.cleanup()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

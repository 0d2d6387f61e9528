"""The load generator: wrk (a compiled client, its own process) driven by a Lua script.

The script cycles through every request variant (each a valid, different PATCH) and
prints wrk's own summary as JSON. The harness reads wrk's CPU time from ``wait4`` so the
table can show the generator was not the bottleneck.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from endpoints import Request

LUA = r"""
local requests = {}
local variants = %(variants)s
local headers = %(headers)s
local counter = 0

function init(args)
  for i, v in ipairs(variants) do
    requests[i] = wrk.format(v[1], v[2], headers, v[3])
  end
end

function request()
  counter = counter + 1
  return requests[(counter %% #requests) + 1]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, ' ..
    '"max_us": %%d, "connect": %%d, "read": %%d, "write": %%d, "status": %%d, "timeout": %%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def _lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string literal is a valid Lua string literal here


def write_script(path: Path, requests: list[Request], headers: dict[str, str]) -> Path:
    variants = ",\n".join(
        "{"
        + ", ".join(
            [_lua_string(r.method), _lua_string(r.path)]
            + ([] if r.body is None else [_lua_string(json.dumps(r.body, separators=(",", ":")))])
        )
        + "}"
        for r in requests
    )
    header_lua = ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items())
    path.write_text(LUA % {"variants": "{\n" + variants + "\n}", "headers": "{" + header_lua + "}"})
    return path


@dataclass
class LoadResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    generator_cpu: float  # wrk's CPU seconds / wall seconds (1.0 = one core)


def ensure_wrk() -> str:
    """wrk from Debian's package; installed when we are root and it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk not found: installing the Debian package 'wrk' (apt-get install -y wrk)")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env)
        found = shutil.which("wrk")
        if found:
            return found
    sys.exit("bench needs wrk: install it with `apt-get install wrk` (Debian/Ubuntu package)")


def run_wrk(
    wrk: str, url: str, script: Path, concurrency: int, seconds: float, log: Path
) -> LoadResult:
    threads = 1  # one event-loop thread drives thousands of req/s; a second one steals a core
    cmd = [
        wrk,
        f"-t{threads}",
        f"-c{concurrency}",
        f"-d{int(seconds)}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
    ]
    started = time.perf_counter()
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=out)
        assert proc.stdout is not None
        output = proc.stdout.read().decode()
        _, status, rusage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.write(output.encode())
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {output[-500:]}")
    line = next(ln for ln in output.splitlines() if ln.startswith("WRK_JSON "))
    data = json.loads(line[len("WRK_JSON ") :])
    duration = data["duration_us"] / 1e6
    errors = sum(data[k] for k in ("connect", "read", "write", "status", "timeout"))
    return LoadResult(
        requests=data["requests"],
        seconds=duration,
        rps=data["requests"] / duration if duration else 0.0,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        errors=errors,
        generator_cpu=(rusage.ru_utime + rusage.ru_stime) / wall,
    )

"""Failover under PATCH load: kill the primary, promote its synchronous standby, count.

    .venv/bin/python bench/failover.py [--before 4] [--down 3] [--after 8] [--concurrency 8]

Plain streaming replication, not Patroni: a primary with one synchronous standby
(``synchronous_standby_names``, ``synchronous_commit = on``: a commit is acknowledged
once the standby has flushed it), both from the pgserver wheel's binaries on loopback
TCP (``cluster.Node``); the failover is ``pg_ctl promote``, which is the step Patroni
would take after its leader key expires. ``rolegate serve --workers 2`` gets a
multi-host URL with ``target_session_attrs=read-write``: a new connection goes to
whichever listed server accepts writes, so it finds the promoted standby without being
restarted or reconfigured.

The load: PATCHes on all five benchmarked endpoints (``endpoints.py``, 8 targets each,
each target alternating its two variants, one client per target at a time). Then the
primary's postmaster and backends are SIGKILLed (the machine is gone), ``--down``
seconds pass with no primary, the standby is promoted, and the load goes on. Reported:

- acknowledged writes lost: 2xx answers whose request id has no audit event on the new
  primary (the audit event is written in the request's transaction): must be 0;
- partial writes: targets whose state (read back with the endpoint's GET) is neither of
  the two variants' (taken before the load, with the fields that differ between two
  identical writes left out, such as row ids and timestamps): must be 0;
- answers while no primary existed, by status (503 expected; a 500 is a failure);
- seconds from the end of the promotion to the first 2xx of a request sent after it.

Exit status 0 when nothing was lost, nothing is partial, nothing answered 5xx other than
503, and the first 2xx came within 10 s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import cluster  # noqa: E402
import dataset  # noqa: E402
import procs  # noqa: E402
import run  # noqa: E402
from endpoints import ENDPOINTS, Request  # noqa: E402

TARGETS = 8
PATCHES = ("A", "B", "C", "D", "E")  # the benchmark's reads (GA, EP, ...) are left out
# Each surface names its request id header its own way (Infisical, CSP, ctrl-hub).
ID_HEADERS = ("x-request-id", "csp-request-id", "x-trace-id")
REPLICATION = {"max_connections": "200", "synchronous_commit": "on", "wal_level": "replica"}


@dataclass
class Target:
    key: str  # endpoint key and index
    endpoint: str
    variants: list[Request]
    headers: dict[str, str]
    read_path: str
    snapshots: list[Any] = field(default_factory=list)
    volatile: set[str] = field(default_factory=set)


@dataclass
class Outcome:
    target: str
    status: int
    request_id: str | None
    sent_at: float
    done_at: float


def read_path(endpoint: str, request: Request) -> str:
    if endpoint == "B":
        body = request.body
        return (
            f"{request.path}/{body['privilegeSlug']}"
            f"?identityId={body['identityId']}&projectSlug={body['projectSlug']}"
        )
    return request.path


def _leaves(value: Any, prefix: str = "") -> dict[str, list[str]]:
    """Every leaf value by its path (list positions left out), sorted per path."""
    out: dict[str, list[str]] = {}

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{path}.{k}" if path else k)
        elif isinstance(node, list):
            for v in node:
                walk(v, path + "[]")
        else:
            out.setdefault(path, []).append(json.dumps(node))

    walk(value, prefix)
    return {k: sorted(v) for k, v in out.items()}


def _strip(value: Any, volatile: set[str], prefix: str = "") -> Any:
    """``value`` without the volatile keys, lists sorted: comparable across writes."""
    if isinstance(value, dict):
        return {
            k: _strip(v, volatile, f"{prefix}.{k}" if prefix else k)
            for k, v in value.items()
            if (f"{prefix}.{k}" if prefix else k) not in volatile
        }
    if isinstance(value, list):
        items = [_strip(v, volatile, prefix + "[]") for v in value]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    return value


async def _write(client: httpx.AsyncClient, target: Target, variant: int) -> httpx.Response:
    request = target.variants[variant]
    return await client.request(
        request.method, request.path, json=request.body, headers=target.headers
    )


async def _read(client: httpx.AsyncClient, target: Target) -> Any:
    response = await client.get(target.read_path, headers=target.headers)
    if response.status_code != 200:
        raise RuntimeError(f"GET {target.read_path}: {response.status_code} {response.text[:300]}")
    return response.json() if response.content else None


async def snapshot(client: httpx.AsyncClient, targets: list[Target]) -> None:
    """Each variant's state, twice, over a second apart: what differs between two
    identical writes (row ids, timestamps, in seconds on CSP) is volatile."""
    seen: dict[str, list[list[Any]]] = {t.key: [[], []] for t in targets}
    for round_ in range(2):
        if round_:
            await asyncio.sleep(1.1)
        for target in targets:
            for variant in (0, 1):
                response = await _write(client, target, variant)
                if not response.is_success:
                    raise RuntimeError(
                        f"{target.key}: setup {response.status_code} {response.text}"
                    )
                seen[target.key][variant].append(await _read(client, target))
    for target in targets:
        for first, second in seen[target.key]:
            a, b = _leaves(first), _leaves(second)
            target.volatile |= {k for k in a.keys() | b.keys() if a.get(k) != b.get(k)}
        target.snapshots = [_strip(s[0], target.volatile) for s in seen[target.key]]


async def load(
    client: httpx.AsyncClient, targets: list[Target], stop: asyncio.Event, out: list[Outcome]
) -> None:
    variant = {t.key: 0 for t in targets}
    while not stop.is_set():
        for target in targets:
            if stop.is_set():
                return
            sent = time.monotonic()
            try:
                response = await _write(client, target, variant[target.key])
                status = response.status_code
                request_id = next(
                    (response.headers[h] for h in ID_HEADERS if h in response.headers), None
                )
            except httpx.TimeoutException:
                status, request_id = -1, None
            except httpx.HTTPError:
                status, request_id = -2, None
            out.append(Outcome(target.key, status, request_id, sent, time.monotonic()))
            variant[target.key] ^= 1
            if status < 200 or status >= 300:
                await asyncio.sleep(0.05)


async def drive(
    base: str,
    targets: list[Target],
    concurrency: int,
    node: cluster.Node,
    standby: cluster.Node,
    before: float,
    down: float,
    after: float,
) -> dict[str, Any]:
    outcomes: list[Outcome] = []
    stop = asyncio.Event()
    async with httpx.AsyncClient(base_url=base, timeout=15) as client:
        await snapshot(client, targets)
        shares = [targets[i::concurrency] for i in range(concurrency)]
        workers = [asyncio.create_task(load(client, s, stop, outcomes)) for s in shares if s]
        await asyncio.sleep(before)
        await asyncio.to_thread(node.kill)
        killed = time.monotonic()
        await asyncio.sleep(down)
        promote_started = time.monotonic()
        await asyncio.to_thread(standby.promote)
        promoted = time.monotonic()
        await asyncio.sleep(after)
        stop.set()
        await asyncio.gather(*workers)
        finals = {t.key: await _read(client, t) for t in targets}
    return {
        "outcomes": outcomes,
        "killed": killed,
        "promote_started": promote_started,
        "promoted": promoted,
        "finals": finals,
    }


async def verify(url: str, targets: list[Target], result: dict[str, Any]) -> dict[str, Any]:
    outcomes: list[Outcome] = result["outcomes"]
    acknowledged = [o for o in outcomes if 200 <= o.status < 300]
    ok_ids = {o.request_id for o in acknowledged if o.request_id}
    conn = await asyncpg.connect(url)
    try:
        audited = {r["request_id"] for r in await conn.fetch("SELECT request_id FROM audit_events")}
    finally:
        await conn.close()
    partial: dict[str, list[str]] = {}
    for target in targets:
        final = _strip(result["finals"][target.key], target.volatile)
        if final not in target.snapshots:
            got = _leaves(final)
            wanted = [_leaves(snapshot) for snapshot in target.snapshots]
            partial[target.key] = [
                f"{k}: {got.get(k)!r} (variants: {', '.join(repr(w.get(k)) for w in wanted)})"
                for k in sorted(got.keys() | wanted[0].keys() | wanted[1].keys())
                if all(got.get(k) != w.get(k) for w in wanted)
            ][:4]
    killed, promoted = result["killed"], result["promoted"]
    while_down = Counter(
        o.status for o in outcomes if killed <= o.sent_at and o.done_at <= promoted
    )
    after = [o.done_at for o in outcomes if 200 <= o.status < 300 and o.sent_at >= promoted]
    return {
        "sent": len(outcomes),
        "acknowledged": len(acknowledged),
        "acknowledged_without_request_id": sum(1 for o in acknowledged if not o.request_id),
        "lost": len(ok_ids - audited),
        "partial": partial,
        "while_down": dict(while_down),
        "statuses": dict(Counter(o.status for o in outcomes)),
        "first_2xx_after_promotion_s": (min(after) - promoted) if after else None,
        "promotion_s": promoted - result["promote_started"],
        "no_primary_s": promoted - killed,
        "volatile_fields": sorted({v for t in targets for v in t.volatile}),
    }


def build_targets(data: dataset.Dataset, env: dict[str, str]) -> tuple[list[Target], list[Any]]:
    targets, setups = [], []
    for endpoint in (e for e in ENDPOINTS if e.key in PATCHES):
        headers = run.mint_credentials(endpoint.auth, data, env)
        requests = endpoint.requests(data, TARGETS)
        count = len(requests) // 2
        for i in range(count):
            variants = [requests[i], requests[i + count]]
            targets.append(
                Target(
                    f"{endpoint.key}{i}",
                    endpoint.key,
                    variants,
                    headers,
                    read_path(endpoint.key, variants[0]),
                )
            )
        if endpoint.setup:
            setups += [(r, headers) for r in endpoint.setup(data, TARGETS)]
    return targets, setups


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", type=float, default=4.0, help="seconds of load before")
    parser.add_argument("--down", type=float, default=3.0, help="seconds with no primary")
    parser.add_argument("--after", type=float, default=8.0, help="seconds of load after")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    started = time.perf_counter()
    root = cluster.workdir("rolegate-failover-")
    logs = root / "logs"
    logs.mkdir()
    primary = cluster.Node(root, "primary")
    standby = cluster.Node(root, "standby")
    server: procs.Server | None = None
    try:
        primary.initdb(REPLICATION)
        primary.start()
        primary.psql("CREATE DATABASE rolegate")
        # The standby must not wait for a standby of its own once it is promoted.
        standby.base_backup(primary, {"synchronous_standby_names": "''"})
        standby.start()
        # Only now: with no standby connected, a synchronous commit waits for ever.
        primary.psql("ALTER SYSTEM SET synchronous_standby_names = 'standby'")
        primary.psql("SELECT pg_reload_conf()")
        for _ in range(100):
            state = primary.psql(
                "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby'"
            )
            if state == "sync":
                break
            time.sleep(0.1)
        else:
            raise RuntimeError("the standby never became synchronous")
        print("synchronous standby streaming", flush=True)
        hosts = f"host=127.0.0.1:{primary.port}&host=127.0.0.1:{standby.port}"
        url = (
            f"postgresql://{cluster.USER}:{cluster.PASSWORD}@/rolegate?{hosts}"
            "&target_session_attrs=read-write"
        )
        data = dataset.build(dataset.Size(projects=10, groups=40, identities=40, users=40))
        seed = root / "seed.json"
        seed.write_text(json.dumps(data.seed))
        env = dict(os.environ, ROLEGATE_DATABASE_URL=url, ROLEGATE_LOG_LEVEL="warning")
        env.pop("ROLEGATE_SMTP_URL", None)
        run.sh([run.rolegate_bin(), "migrate"], env)
        run.sh([run.rolegate_bin(), "seed", str(seed)], env)
        server = procs.start_server(run.rolegate_bin(), env, 2, logs / "serve.log")
        targets, setups = build_targets(data, env)
        for request, headers in setups:
            run.send(server.base, request, headers)
        print(
            f"primary :{primary.port}, synchronous standby :{standby.port}; rolegate on"
            f" :{server.port} with {len(targets)} targets over endpoints A-E",
            flush=True,
        )
        result = asyncio.run(
            drive(
                server.base,
                targets,
                args.concurrency,
                primary,
                standby,
                args.before,
                args.down,
                args.after,
            )
        )
        figures = asyncio.run(verify(standby.url(), targets, result))
        serve_log = server.log.read_text(errors="replace")
        figures["tracebacks_in_log"] = serve_log.count("Traceback")
    finally:
        if server is not None:
            server.stop()
        standby.stop()
        primary.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)
    latencies = [o.done_at - o.sent_at for o in result["outcomes"] if 200 <= o.status < 300]
    figures["p50_2xx_ms"] = round(statistics.median(latencies) * 1000, 1) if latencies else None
    figures["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(figures, indent=2, default=str))
    bad = sum(n for s, n in figures["statuses"].items() if (s >= 500 and s != 503) or s < 0)
    first = figures["first_2xx_after_promotion_s"]
    passed = (
        figures["lost"] == 0
        and not figures["partial"]
        and bad == 0
        and first is not None
        and first < 10
    )
    print("PASS" if passed else "FAIL", flush=True)
    return 0 if passed else 1


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())

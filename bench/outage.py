"""Database outage under steady PATCH load: kill PostgreSQL hard, restart it, count.

    .venv/bin/python -m bench.outage [--before 3] [--down 4] [--after 3] [--concurrency 4]

Starts a throwaway embedded PostgreSQL and ``rolegate serve`` on a loopback port in
19100-19199, sends endpoint-A PATCHes from a few concurrent clients, stops PostgreSQL
with ``pg_ctl stop -m immediate`` (a crash: no checkpoint, every connection cut),
restarts it, and keeps sending. Then it checks the database:

- every request that got a 2xx is there (its audit event carries its request id): lost = 0;
- every group membership holds at least one permanent role, and every group's role set
  equals one that some request submitted (no partial write survived the crash).

While the database is down every answer must be a 503 in Infisical's envelope within the
client timeout (never a hang, never a 500); after the restart the server must serve 2xx
again within 5 s without being restarted itself. Exit status 0 when all of that holds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import yaml

if __package__ in {None, ""}:  # run as a file: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import Postgres, Server

ORG = "0b6f3a52-1d1e-4c61-9a63-00000000a001"
ADMIN = "0b6f3a52-1d1e-4c61-9a63-00000000a201"
PROJECT = "0b6f3a52-1d1e-4c61-9a63-00000000a401"
GROUPS = [f"0b6f3a52-1d1e-4c61-9a63-00000000a30{i}" for i in range(1, 5)]

SEED: dict[str, Any] = {
    "organizations": [
        {
            "id": ORG,
            "name": "Outage",
            "slug": "outage",
            "identities": [
                {
                    "id": ADMIN,
                    "name": "load-bot",
                    "org_role": "admin",
                    "universal_auth": {"client_id": "load-client", "client_secret": "load-secret"},
                }
            ],
            "groups": [
                {"id": g, "name": f"Group {i}", "slug": f"group-{i}"} for i, g in enumerate(GROUPS)
            ],
            "projects": [
                {
                    "id": PROJECT,
                    "name": "Outage",
                    "slug": "outage",
                    "roles": [
                        {
                            "slug": "reader",
                            "name": "Reader",
                            "permissions": [{"subject": "secrets", "action": ["read"]}],
                        }
                    ],
                    "groups": [
                        {"group": f"group-{i}", "roles": [{"role": "member"}]}
                        for i in range(len(GROUPS))
                    ],
                    "identities": [{"identity": "load-bot", "roles": [{"role": "admin"}]}],
                }
            ],
        }
    ]
}

TEMPORARY = {
    "isTemporary": True,
    "temporaryMode": "relative",
    "temporaryRange": "1h",
    "temporaryAccessStartTime": "2030-01-01T00:00:00Z",
}


def role_sets() -> list[list[dict[str, Any]]]:
    """Every submitted set has a permanent role; some add a custom or a temporary one."""
    sets: list[list[dict[str, Any]]] = []
    for permanent, extra, temporary in itertools.product(
        ["admin", "member", "viewer", "no-access"], [[], ["reader"]], [False, True]
    ):
        roles: list[dict[str, Any]] = [{"role": permanent}] + [{"role": e} for e in extra]
        if temporary:
            roles.append({"role": "viewer" if permanent != "viewer" else "member", **TEMPORARY})
        sets.append(roles)
    return sets


def signature(roles: list[dict[str, Any]]) -> tuple[tuple[str, bool], ...]:
    return tuple((r["role"], bool(r.get("isTemporary"))) for r in roles)


@dataclass
class Figures:
    sent: int = 0
    ok: int = 0
    unavailable: int = 0
    other: int = 0
    lost: int = 0
    timeouts: int = 0
    recovery_seconds: float | None = None
    slowest_while_down: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return (
            not self.problems
            and self.lost == 0
            and self.other == 0
            and self.ok > 0
            and self.unavailable > 0
            and self.recovery_seconds is not None
            and self.recovery_seconds <= 5.0
        )

    def report(self) -> str:
        recovery = (
            f"{self.recovery_seconds:.2f} s" if self.recovery_seconds is not None else "never"
        )
        lines = [
            f"requests sent: {self.sent}",
            f"2xx:           {self.ok}",
            f"503:           {self.unavailable}",
            f"other:         {self.other} (client timeouts: {self.timeouts})",
            f"lost:          {self.lost}",
            f"first 2xx after PostgreSQL was back: {recovery}",
            f"slowest answer while PostgreSQL was down: {self.slowest_while_down:.3f} s",
            "invariants: " + ("ok" if not self.problems else "; ".join(self.problems)),
            "result: " + ("PASS" if self.passed else "FAIL"),
        ]
        return "\n".join(lines)


@dataclass
class Outcome:
    request_id: str | None
    status: int
    sent_at: float
    done_at: float
    envelope_ok: bool


@dataclass
class LoadState:
    outcomes: list[Outcome] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    came_back: float | None = None  # when PostgreSQL was running again
    recovered: asyncio.Event = field(default_factory=asyncio.Event)


async def _load(client: httpx.AsyncClient, token: str, state: LoadState) -> None:
    sets = role_sets()
    rng = random.Random()
    outcomes = state.outcomes
    while not state.stop.is_set():
        group = rng.choice(GROUPS)
        body = {"roles": rng.choice(sets)}
        sent = time.monotonic()
        try:
            response = await client.patch(
                f"/api/v2/workspace/{PROJECT}/groups/{group}",
                json=body,
                headers={"Authorization": f"Bearer {token}"},
            )
        except httpx.TimeoutException:
            outcomes.append(Outcome(None, -1, sent, time.monotonic(), False))
            continue
        except httpx.HTTPError:
            outcomes.append(Outcome(None, -2, sent, time.monotonic(), False))
            continue
        envelope_ok = True
        if response.is_success and state.came_back is not None and sent >= state.came_back:
            state.recovered.set()
        if response.status_code == 503:
            payload = response.json()
            envelope_ok = (
                payload.get("statusCode") == 503
                and payload.get("error") == "ServiceUnavailable"
                and bool(payload.get("reqId"))
            )
        outcomes.append(
            Outcome(
                response.headers.get("x-request-id"),
                response.status_code,
                sent,
                time.monotonic(),
                envelope_ok,
            )
        )
        await asyncio.sleep(0.005)


async def _verify(url: str, figures: Figures, ok_ids: set[str]) -> None:
    dsn, _, host = url.partition("?host=")
    conn = await asyncpg.connect(dsn, host=host or None)
    try:
        audited = {
            row["request_id"]
            for row in await conn.fetch(
                "SELECT request_id FROM audit_events WHERE action = 'project-group.roles.update'"
            )
        }
        figures.lost = len(ok_ids - audited)
        submitted = {signature(s) for s in role_sets()} | {(("member", False),)}
        rows = await conn.fetch(
            """
            SELECT pm.group_id, ra.role_key, r.slug, ra.is_temporary
            FROM project_memberships pm
            LEFT JOIN role_assignments ra
              ON ra.project_membership_id = pm.id AND ra.surface = 'infisical'
            LEFT JOIN roles r ON r.id = ra.role_id
            WHERE pm.project_id = $1 AND pm.group_id IS NOT NULL
            ORDER BY pm.group_id, ra.position
            """,
            PROJECT,
        )
    finally:
        await conn.close()
    by_group: dict[str, list[tuple[str, bool]]] = {}
    for row in rows:
        roles = by_group.setdefault(str(row["group_id"]), [])
        if row["role_key"] is not None:
            roles.append((row["slug"] or row["role_key"], row["is_temporary"]))
    for group, roles in by_group.items():
        if not any(not temporary for _, temporary in roles):
            figures.problems.append(f"group {group} has no permanent role")
        if tuple(roles) not in submitted:
            figures.problems.append(f"group {group} holds a set nobody submitted: {roles}")
    if len(by_group) != len(GROUPS):
        figures.problems.append(f"expected {len(GROUPS)} group memberships, found {len(by_group)}")


async def run_outage(
    *,
    before: float = 3.0,
    down: float = 4.0,
    after: float = 3.0,
    concurrency: int = 4,
    client_timeout: float = 15.0,
) -> Figures:
    figures = Figures()
    postgres = await asyncio.to_thread(Postgres)
    seed = await asyncio.to_thread(_write_seed)
    server: Server | None = None
    try:
        server = await asyncio.to_thread(Server, postgres.url, seed=seed)
        async with httpx.AsyncClient(base_url=server.base_url, timeout=client_timeout) as client:
            login = await client.post(
                "/api/v1/auth/universal-auth/login",
                json={"clientId": "load-client", "clientSecret": "load-secret"},
            )
            login.raise_for_status()
            token = login.json()["accessToken"]
            state = LoadState()
            outcomes = state.outcomes
            workers = [asyncio.create_task(_load(client, token, state)) for _ in range(concurrency)]
            await asyncio.sleep(before)
            await asyncio.to_thread(postgres.stop_immediate)
            went_down = time.monotonic()
            await asyncio.sleep(down)
            await asyncio.to_thread(postgres.start)
            came_back = state.came_back = time.monotonic()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(state.recovered.wait(), 10.0)
            await asyncio.sleep(after)
            state.stop.set()
            await asyncio.gather(*workers)
        for outcome in outcomes:
            figures.sent += 1
            if 200 <= outcome.status < 300:
                figures.ok += 1
            elif outcome.status == 503 and outcome.envelope_ok:
                figures.unavailable += 1
            else:
                figures.other += 1
                figures.timeouts += outcome.status == -1
            if went_down <= outcome.sent_at and outcome.done_at <= came_back:
                figures.slowest_while_down = max(
                    figures.slowest_while_down, outcome.done_at - outcome.sent_at
                )
        recovered = [
            o.done_at for o in outcomes if 200 <= o.status < 300 and o.sent_at >= came_back
        ]
        if recovered:
            figures.recovery_seconds = min(recovered) - came_back
        ok_ids = {o.request_id for o in outcomes if 200 <= o.status < 300 and o.request_id}
        await _verify(postgres.url, figures, ok_ids)
        if "Traceback" in server.log():
            figures.problems.append("the server logged a traceback")
    finally:
        if server is not None:
            await asyncio.to_thread(server.close)
        await asyncio.to_thread(postgres.close)
        await asyncio.to_thread(seed.unlink, missing_ok=True)
    return figures


def _write_seed() -> Path:
    seed = Path(tempfile.mkstemp(prefix="rolegate-outage-", suffix=".yaml")[1])
    seed.write_text(yaml.safe_dump(SEED))
    return seed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=float, default=3.0, help="seconds of load before")
    parser.add_argument("--down", type=float, default=4.0, help="seconds PostgreSQL stays down")
    parser.add_argument("--after", type=float, default=3.0, help="seconds of load after recovery")
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    figures = asyncio.run(
        run_outage(
            before=args.before, down=args.down, after=args.after, concurrency=args.concurrency
        )
    )
    print(figures.report())
    sys.exit(0 if figures.passed else 1)


if __name__ == "__main__":
    main()

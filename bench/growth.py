"""How cost grows with the size of the data: one series per operation, and its exponent.

    .venv/bin/python bench/growth.py            # every series, 9 timed requests a point
    .venv/bin/python bench/growth.py --smoke    # every series, 3 a point (make bench-smoke)

Each point is the median latency of sequential requests (c=1, after one untimed request)
against ``rolegate serve --workers 2`` on its own embedded PostgreSQL. The exponent k of
cost ~ n^k is the least-squares slope on log-log. A fixed cost per request (HTTP, auth,
the transaction) flattens k at small n: read k together with the milliseconds.

The small parts of the data are seeded in rolegate's own format; what reaches 10,000 rows
(users of one group, groups of one organization) is added between points with one
``INSERT … SELECT generate_series`` each, so a series grows one data set in place.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import dataset  # noqa: E402
import pgbench  # noqa: E402
import procs  # noqa: E402
import run  # noqa: E402
from dataset import pinned  # noqa: E402
from endpoints import EXPIRES_AT  # noqa: E402

GROWTH_PROJECT = pinned("growth-project", 0)
A_GROUP_SLUG = "team-0"
ROLE_SIZES = (1, 10, 100)
MEMBER_SIZES = (10, 1000, 10000)
GROUP_SIZES = (10, 1000, 10000)
PRIVILEGE_SIZES = (1, 10, 100)
GROUPS_PER_USER = (1, 10, 50)
RULE_SIZES = (1, 100, 1000)
D_GROUP = pinned("growth-d-group", 0)

LIST_ORG = pinned("growth-list-org", 0)
LIST_PROJECT = pinned("growth-list-project", 0)
LIST_ADMIN = pinned("growth-list-identity", 0)
LIST_OWNER = "owner@lists.test"


@dataclass
class Series:
    name: str
    unit: str  # what n counts
    n: list[int] = field(default_factory=list)
    ms: list[float] = field(default_factory=list)  # median latency per point
    samples: list[list[float]] = field(default_factory=list)
    # Per point, what the response or the database showed (items returned, rows queued...).
    notes: list[dict[str, Any]] = field(default_factory=list)
    k: float | None = None
    # The slope between the two largest points alone: where the fixed cost per request
    # weighs least, so what the target is judged on.
    k_tail: float | None = None

    def fit(self) -> None:
        self.k = fit_exponent(self.n, self.ms)
        self.k_tail = fit_exponent(self.n[-2:], self.ms[-2:])


def fit_exponent(n: list[int], cost: list[float]) -> float | None:
    """Least-squares slope of log(cost) on log(n)."""
    if len(n) < 2 or any(c <= 0 for c in cost):
        return None
    xs = [math.log(v) for v in n]
    ys = [math.log(c) for c in cost]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else None


# --- data --------------------------------------------------------------------------------


def _rule(i: int) -> dict[str, Any]:
    return {
        "subject": "secrets",
        "action": ["read"],
        "conditions": {"environment": "dev", "secretPath": {"$glob": f"/p{i}/**"}},
    }


def growth_seed(data: dataset.Dataset) -> None:
    """The growth fixtures, added to the bench data set's organization and a second one."""
    org = data.seed["organizations"][0]
    users_in = [f"in{n}@bench.test" for n in GROUPS_PER_USER]
    org["users"] += [{"email": email, "org_roles": ["org_member"]} for email in users_in]
    explain_groups = [
        {
            "name": f"Explain {j}",
            "slug": f"explain-{j}",
            "members": [e for e, n in zip(users_in, GROUPS_PER_USER, strict=True) if j < n],
        }
        for j in range(max(GROUPS_PER_USER))
    ]
    org["groups"] += [*explain_groups, {"id": D_GROUP, "name": "Growth D", "slug": "growth-d"}]
    org["identities"] += [
        {"id": pinned("priv-identity", n), "name": f"priv-{n}", "org_role": "member"}
        for n in PRIVILEGE_SIZES
    ] + [
        {"id": pinned("rules-identity", n), "name": f"rules-{n}", "org_role": "member"}
        for n in RULE_SIZES
    ]
    org["projects"].append(
        {
            "id": GROWTH_PROJECT,
            "name": "Growth",
            "slug": "growth",
            "roles": [
                {"slug": f"g-role-{i}", "name": f"G role {i}", "permissions": [_rule(i)]}
                for i in range(max(ROLE_SIZES))
            ]
            + [
                {
                    "slug": f"rules-{n}",
                    "name": f"Rules {n}",
                    "permissions": [_rule(i) for i in range(n)],
                }
                for n in RULE_SIZES
            ],
            "groups": [{"group": A_GROUP_SLUG, "roles": [{"role": "viewer"}]}]
            + [
                {"group": g["slug"], "roles": [{"role": "viewer"}, {"role": f"g-role-{j}"}]}
                for j, g in enumerate(explain_groups)
            ],
            "identities": [
                {"identity": "bench-admin", "roles": [{"role": "admin"}]},
                *(
                    {
                        "identity": f"priv-{n}",
                        "roles": [{"role": "viewer"}],
                        "privileges": [
                            {"slug": f"p-{i}", "permissions": [_rule(i)]} for i in range(n)
                        ],
                    }
                    for n in PRIVILEGE_SIZES
                ),
                *(
                    {"identity": f"rules-{n}", "roles": [{"role": f"rules-{n}"}]}
                    for n in RULE_SIZES
                ),
            ],
        }
    )
    data.seed["organizations"].append(
        {
            "id": LIST_ORG,
            "name": "Lists",
            "slug": "lists",
            "users": [
                {"email": LIST_OWNER, "org_roles": ["org_owner"]},
                {"email": "member@lists.test", "org_roles": ["org_member"]},
            ],
            "identities": [{"id": LIST_ADMIN, "name": "lists-admin", "org_role": "admin"}],
            "groups": [
                {
                    "name": f"List {i}",
                    "slug": f"list-{i}",
                    "members": [LIST_OWNER, "member@lists.test"],
                }
                for i in range(GROUP_SIZES[0])
            ],
            "projects": [
                {
                    "id": LIST_PROJECT,
                    "name": "Lists",
                    "slug": "lists",
                    "groups": [
                        {"group": f"list-{i}", "roles": [{"role": "viewer"}]}
                        for i in range(GROUP_SIZES[0])
                    ],
                    "identities": [{"identity": "lists-admin", "roles": [{"role": "admin"}]}],
                }
            ],
        }
    )


def add_group_members(pg: Database, org_id: str, group_id: str, total: int) -> None:
    """Grow the group to ``total`` members, creating the users it needs."""
    pg.psql(  # the bench's own pinned ids and counts, no outside input
        f"""
        INSERT INTO users (id, org_id, email)
        SELECT gen_random_uuid(), '{org_id}', 'bulk' || i || '@bench.test'
        FROM generate_series(1, {total}) AS i
        ON CONFLICT (org_id, email) DO NOTHING;
        INSERT INTO group_members (group_id, user_id)
        SELECT '{group_id}', u.id FROM users u
        WHERE u.org_id = '{org_id}' AND u.email LIKE 'bulk%@bench.test'
          AND NOT EXISTS (
            SELECT 1 FROM group_members m WHERE m.group_id = '{group_id}' AND m.user_id = u.id)
        ORDER BY u.email
        LIMIT {total} - (SELECT count(*) FROM group_members WHERE group_id = '{group_id}');
        """  # noqa: S608
    )


def add_list_groups(pg: Database, total: int) -> None:
    """Grow the list organization to ``total`` groups, each a member of its project with
    the viewer role and with the organization's two users as members (like the seeded ten).
    """
    pg.psql(  # the bench's own pinned ids and counts, no outside input
        f"""
        INSERT INTO groups (id, org_id, name, slug, description)
        SELECT gen_random_uuid(), '{LIST_ORG}', 'Bulk ' || i, 'bulk-' || i, ''
        FROM generate_series(
            (SELECT count(*) FROM groups WHERE org_id = '{LIST_ORG}') + 1, {total}) AS i;
        INSERT INTO group_members (group_id, user_id)
        SELECT g.id, u.id FROM groups g JOIN users u ON u.org_id = g.org_id
        WHERE g.org_id = '{LIST_ORG}'
        ON CONFLICT DO NOTHING;
        INSERT INTO project_memberships (id, project_id, group_id)
        SELECT gen_random_uuid(), '{LIST_PROJECT}', g.id FROM groups g
        WHERE g.org_id = '{LIST_ORG}'
        ON CONFLICT DO NOTHING;
        INSERT INTO role_assignments (id, org_id, surface, kind, project_membership_id,
                                      role_key, is_temporary, position)
        SELECT gen_random_uuid(), '{LIST_ORG}', 'infisical', 'project', pm.id, 'viewer',
               false, 0
        FROM project_memberships pm
        WHERE pm.project_id = '{LIST_PROJECT}'
          AND NOT EXISTS (SELECT 1 FROM role_assignments r
                          WHERE r.project_membership_id = pm.id);
        ANALYZE;
        """  # noqa: S608
    )


@dataclass
class Database:
    """psql on rolegate's database (the embedded server's own ``psql`` runs on ``postgres``)."""

    socket_dir: str

    def psql(self, sql: str) -> str:
        psql = pgbench.binary().parent / "psql"
        done = subprocess.run(
            [
                *(str(psql), "-h", self.socket_dir, "-U", "postgres", "-d", "rolegate"),
                *("-v", "ON_ERROR_STOP=1", "-Atc", sql),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"psql failed: {done.stderr[-1000:]}")
        return done.stdout


def count(pg: Database, sql: str) -> int:
    return int(pg.psql(sql).strip().splitlines()[-1])


# --- requests ----------------------------------------------------------------------------


@dataclass
class Client:
    port: int
    headers: dict[str, str]

    def __post_init__(self) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)

    def send(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        payload = None if body is None else json.dumps(body).encode()
        try:
            self.conn.request(method, path, body=payload, headers=self.headers)
            response = self.conn.getresponse()
        except (http.client.RemoteDisconnected, ConnectionError):
            # The server closes a keep-alive connection idle for a few seconds (uvicorn's
            # default): reconnect once. Only an untimed first request meets this.
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            self.conn.request(method, path, body=payload, headers=self.headers)
            response = self.conn.getresponse()
        return response.status, response.read()


def timed(
    client: Client,
    requests: list[tuple[str, str, Any]],
    repeats: int,
    budget_s: float,
) -> tuple[list[float], bytes]:
    """Milliseconds of each of ``repeats`` requests (cycling through ``requests``), after
    one untimed; fewer when a request is so slow that ``budget_s`` would run out."""
    status, last = client.send(*requests[0])
    if not 200 <= status < 300:
        raise RuntimeError(f"{requests[0][0]} {requests[0][1]} answered {status}: {last[:300]!r}")
    samples: list[float] = []
    started = time.perf_counter()
    for i in range(repeats):
        method, path, body = requests[(i + 1) % len(requests)]
        t0 = time.perf_counter()
        status, last = client.send(method, path, body)
        samples.append((time.perf_counter() - t0) * 1000)
        if not 200 <= status < 300:
            raise RuntimeError(f"{method} {path} answered {status}: {last[:300]!r}")
        if time.perf_counter() - started > budget_s and len(samples) >= 1:
            break
    return samples, last


def point(
    series: Series,
    n: int,
    client: Client,
    requests: list[tuple[str, str, Any]],
    repeats: int,
    budget_s: float,
    note: Callable[[bytes], dict[str, Any]] | None = None,
) -> None:
    samples, last = timed(client, requests, repeats, budget_s)
    series.n.append(n)
    series.ms.append(statistics.median(samples))
    series.samples.append([round(s, 2) for s in samples])
    series.notes.append(note(last) if note else {})
    extra = " ".join(f"{k}={v}" for k, v in series.notes[-1].items())
    print(
        f"  {series.name:<44} n={n:<6} {series.ms[-1]:9.1f} ms  ({len(samples)} requests) {extra}",
        flush=True,
    )


def list_note(key: Callable[[Any], list[Any]]) -> Callable[[bytes], dict[str, Any]]:
    def note(body: bytes) -> dict[str, Any]:
        return {"items": len(key(json.loads(body))), "bytes": len(body)}

    return note


# --- the series --------------------------------------------------------------------------


def run_series(
    pg: Database, server: procs.Server, env: dict[str, str], data: dataset.Dataset, repeats: int
) -> list[Series]:
    budget = 20.0
    infisical = Client(server.port, run.mint_credentials("infisical", data, env))
    csp = Client(server.port, run.mint_credentials("csp", data, env))
    out: list[Series] = []

    # PATCH A with 1, 10, 100 roles (custom roles of the growth project).
    s = Series("PATCH A (project group roles)", "roles in the request")
    group_id = pinned("group", 0)
    path = f"/api/v2/workspace/{GROWTH_PROJECT}/groups/{group_id}"
    for n in ROLE_SIZES:
        roles = [{"role": f"g-role-{i}"} for i in range(n)]
        bodies = [{"roles": roles}, {"roles": roles[::-1]}]
        point(s, n, infisical, [("PATCH", path, b) for b in bodies], repeats, budget)
    out.append(s)

    # CSP PATCH D with notifications on a group of 10, 1,000, 10,000 members.
    s = Series("PATCH D (CSP group roles, notify members)", "members of the group")
    path = f"/csp/gateway/am/api/orgs/{data.org_id}/groups/{D_GROUP}/roles"
    bodies = [
        {
            "organizationRoles": {"rolesToAdd": [{"name": "developer", "expiresAt": expiry}]},
            "notifyUsersInGroups": True,
        }
        for expiry in (EXPIRES_AT, EXPIRES_AT + 3600)
    ]
    outbox = f"SELECT count(*) FROM notification_outbox WHERE group_id = '{D_GROUP}'"  # noqa: S608
    for n in MEMBER_SIZES:
        add_group_members(pg, data.org_id, D_GROUP, n)
        before = count(pg, outbox)
        point(s, n, csp, [("PATCH", path, b) for b in bodies], repeats, budget)
        sent = len(s.samples[-1]) + 1
        queued = count(pg, outbox) - before
        s.notes[-1] = {"outbox_rows_per_request": round(queued / sent, 1)}
        print(f"    {queued} outbox rows for {sent} requests", flush=True)
    out.append(s)

    # List endpoints with 10, 1,000, 10,000 groups (the second organization).
    lists = dataset.Dataset(
        seed={},
        org_id=LIST_ORG,
        admin_identity_id=LIST_ADMIN,
        owner_email=LIST_OWNER,
        owner_user_id="",
    )
    clients = {
        "infisical": Client(server.port, run.mint_credentials("infisical", lists, env)),
        "csp": Client(server.port, run.mint_credentials("csp", lists, env)),
        "ctrlhub": Client(server.port, run.mint_credentials("ctrlhub", lists, env)),
    }
    listings = [
        (
            Series("GET Infisical project groups (list)", "groups in the project"),
            "infisical",
            f"/api/v2/workspace/{LIST_PROJECT}/groups",
            list_note(lambda doc: doc["groupMemberships"]),
        ),
        (
            Series("GET CSP org groups (list, first page)", "groups in the org"),
            "csp",
            f"/csp/gateway/am/api/orgs/{LIST_ORG}/groups",
            list_note(lambda doc: doc["results"]),
        ),
        (
            Series("GET ctrl-hub role groups (list, first page)", "groups in the org"),
            "ctrlhub",
            f"/v3/orgs/{LIST_ORG}/iam/groups",
            list_note(lambda doc: doc["data"]),
        ),
    ]
    for n in GROUP_SIZES:
        add_list_groups(pg, n)
        for series, surface, list_path, note in listings:
            point(series, n, clients[surface], [("GET", list_path, None)], repeats, budget, note)
    out += [series for series, *_ in listings]

    # Effective permissions: an identity with 1, 10, 100 additional privileges; a user
    # whose access comes through 1, 10, 50 groups.
    base = f"/api/v1/projects/{GROWTH_PROJECT}/effective-permissions"
    s = Series("GET effective-permissions (identity)", "additional privileges")
    for n in PRIVILEGE_SIZES:
        query = f"{base}?identityId={pinned('priv-identity', n)}"
        point(s, n, infisical, [("GET", query, None)], repeats, budget)
    out.append(s)
    s = Series("GET effective-permissions (user via groups)", "groups of the user")
    users = {e["email"]: e for e in data.seed["organizations"][0]["users"]}
    user_ids = user_id_lookup(pg, data.org_id)
    for n in GROUPS_PER_USER:
        email = f"in{n}@bench.test"
        assert email in users
        query = f"{base}?userId={user_ids[email]}"
        point(s, n, infisical, [("GET", query, None)], repeats, budget)
    out.append(s)

    # Explain: an identity whose one role has 1, 100, 1,000 rules.
    s = Series("GET effective-permissions (one role, n rules)", "rules in the role")
    c = Series("POST permission-check (one role, n rules)", "rules in the role")
    check = f"/api/v1/projects/{GROWTH_PROJECT}/permission-check"
    for n in RULE_SIZES:
        identity = pinned("rules-identity", n)
        point(s, n, infisical, [("GET", f"{base}?identityId={identity}", None)], repeats, budget)
        question = {
            "principal": {"identityId": identity},
            "action": "read",
            "subject": "secrets",
            # Matched by no rule: the engine looks at every one.
            "fields": {"environment": "dev", "secretPath": "/nowhere"},
        }
        point(c, n, infisical, [("POST", check, question)], repeats, budget)
    out += [s, c]
    for series in out:
        series.fit()
    return out


def user_id_lookup(pg: Database, org_id: str) -> dict[str, str]:
    out = pg.psql(
        f"SELECT email || '|' || id FROM users WHERE org_id = '{org_id}' AND email LIKE 'in%'"  # noqa: S608
    )
    pairs = [line.split("|") for line in out.splitlines() if "|" in line]
    return {email: user_id for email, user_id in pairs}


def verdict(s: Series) -> str:
    """Linear work may cost up to n^1 (plus the noise of a shared host: k <= 1.15)."""
    if s.k_tail is None:
        return "-"
    return "ok" if s.k_tail <= 1.15 else "ABOVE LINEAR"


def _k(value: float | None) -> str:
    return f"{value:6.2f}" if value is not None else f"{'-':>6}"


def report(series: list[Series]) -> list[str]:
    lines = [f"{'series':<46} {'n':>14} {'ms (median)':>24} {'k':>6} {'k tail':>6}  verdict"]
    for s in series:
        ns = "/".join(str(n) for n in s.n)
        ms = "/".join(f"{m:.1f}" for m in s.ms)
        lines.append(f"{s.name:<46} {ns:>14} {ms:>24} {_k(s.k)} {_k(s.k_tail)}  {verdict(s)}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="3 timed requests a point")
    parser.add_argument("--repeats", type=int, help="timed requests a point (default 9)")
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    repeats = args.repeats or (3 if args.smoke else 9)

    started = time.perf_counter()
    load_before = procs.loadavg()
    work = Path(tempfile.mkdtemp(prefix="rolegate-growth-"))
    work.chmod(0o755)  # the embedded server runs as its own system user when we are root
    (work / "logs").mkdir()
    data = dataset.build(
        dataset.Size(
            projects=2,
            groups=10,
            identities=4,
            users=10,
            identities_per_project=3,
            templates=2,
            services=1,
        )
    )
    growth_seed(data)
    seed_file = work / "seed.json"
    seed_file.write_text(json.dumps(data.seed))
    pg = run.start_postgres(work / "data")
    server: procs.Server | None = None
    try:
        from rolegate.embedded import embedded_url

        url = embedded_url(pg)
        db = Database(parse_qs(urlparse(url).query)["host"][0])
        env = dict(
            os.environ, ROLEGATE_DATABASE_URL=url, ROLEGATE_LOG_LEVEL="warning", PGSSLMODE="disable"
        )
        env.pop("ROLEGATE_SMTP_URL", None)  # notifications stay in the outbox
        t0 = time.perf_counter()
        run.sh([run.rolegate_bin(), "seed", str(seed_file)], env)
        print(f"seeded in {time.perf_counter() - t0:.1f} s", flush=True)
        server = procs.start_server(run.rolegate_bin(), env, 2, work / "logs" / "serve.log")
        print(
            f"machine: {os.cpu_count()} CPUs, load average {load_before:.2f}; "
            f"{repeats} timed requests a point, sequential",
            flush=True,
        )
        series = run_series(db, server, env, data, repeats)
    finally:
        if server is not None:
            server.stop()
        pg.cleanup()
    print()
    lines = report(series)
    print("\n".join(lines))
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    name = (
        f"{stamp}-growth"
        + ("-smoke" if args.smoke else "")
        + (f"-{args.label}" if args.label else "")
    )
    out = results / f"{name}.json"
    out.write_text(
        json.dumps(
            {
                "git": run.git_rev(),
                "mode": "smoke" if args.smoke else "full",
                "repeats": repeats,
                "loadavg_before": load_before,
                "loadavg_after": procs.loadavg(),
                "series": [asdict(s) for s in series],
                "report": lines,
                "total_seconds": time.perf_counter() - started,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"results: {out.relative_to(ROOT)}")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

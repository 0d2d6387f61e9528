"""From PostgreSQL's own statement log to pgbench scripts.

While the harness sends each request variant once (sequentially), the embedded server runs
with ``log_statement = 'all'``. Every statement rolegate sent, with its bind parameters, is
then in the server log; this module cuts it into one transaction per request and writes a
pgbench script per request with the parameters inlined. The only rewrite: primary keys of
inserted rows become ``gen_random_uuid()`` (replaying a literal id would hit the unique
constraint). So pgbench runs the same statements, in the same order, with the same round
trips (including the pool's pre-ping), as rolegate did.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \w+ \[(?P<pid>\d+)\] (?P<app>[^:]*): "
    r"(?P<level>[A-Z]+):  (?P<text>.*)$"
)
PARAM = re.compile(r"\$(\d+) = (NULL|'(?:[^']|'')*')")
INSERT = re.compile(r"INSERT INTO (?P<table>\w+) \((?P<cols>[^)]*)\) VALUES ", re.IGNORECASE)
PLACEHOLDER = re.compile(r"\$(\d+)")
# Statements asyncpg/SQLAlchemy run once when a pooled connection is first opened.
CONNECTION_SETUP = (
    "select pg_catalog.version()",
    "select current_schema()",
    "show transaction isolation level",
    "show standard_conforming_strings",
)

LOG_SETTINGS = (
    "ALTER SYSTEM SET log_line_prefix = '%m [%p] %a: ';"
    "ALTER SYSTEM SET log_parameter_max_length = -1;"
)


@dataclass
class Statement:
    sql: str
    params: dict[int, str] = field(default_factory=dict)
    pid: int = 0

    def inlined(self) -> str:
        """The statement with its parameters as literals; inserted row ids made fresh."""
        fresh = _primary_key_placeholders(self.sql)
        sql = self.sql.strip().rstrip(";")

        def substitute(match: re.Match[str]) -> str:
            n = int(match.group(1))
            if n in fresh:
                return "gen_random_uuid()"
            if n not in self.params:
                raise ValueError(f"no value logged for ${n} in: {sql[:200]}")
            return _pgbench_literal(self.params[n])

        return PLACEHOLDER.sub(substitute, sql) + ";"


def _pgbench_literal(value: str) -> str:
    # pgbench -M prepared turns any ":name" into a variable, even inside quotes ("13:52:19"
    # would become "13$1..."): spell colons as an E-string escape instead.
    if value == "NULL" or ":" not in value:
        return value
    body = value[1:-1].replace("\\", "\\\\").replace(":", "\\x3a")
    return f"E'{body}'"


def _values_tuples(sql: str, start: int) -> list[str]:
    """The ``(…), (…)`` tuples of a VALUES list starting at ``start``."""
    tuples = []
    i = start
    while i < len(sql) and sql[i] == "(":
        depth, j = 0, i
        while j < len(sql):
            depth += {"(": 1, ")": -1}.get(sql[j], 0)
            j += 1
            if depth == 0:
                break
        tuples.append(sql[i + 1 : j - 1])
        rest = sql[j:]
        stripped = rest.lstrip()
        if not stripped.startswith(","):
            break
        i = j + (len(rest) - len(stripped)) + 1
        while i < len(sql) and sql[i].isspace():
            i += 1
    return tuples


def _primary_key_placeholders(sql: str) -> set[int]:
    """Placeholders bound to the ``id`` column of every INSERT … VALUES in the statement
    (top level or inside a CTE, one row or many)."""
    fresh: set[int] = set()
    for match in INSERT.finditer(sql):
        cols = [c.strip().strip('"') for c in match.group("cols").split(",")]
        if "id" not in cols:
            continue
        at = cols.index("id")
        for values in _values_tuples(sql, match.end()):
            placeholders = [int(n) for n in PLACEHOLDER.findall(values)]
            if len(placeholders) != len(cols):
                raise ValueError(f"cannot map VALUES to columns in: {sql[:300]}")
            fresh.add(placeholders[at])
    return fresh


def parse_log(text: str, app: str = "rolegate") -> list[Statement]:
    """Statements of ``app`` in log order, each with the parameters logged for it."""
    records: list[tuple[int, str, str, str]] = []  # (pid, app, level, text)
    for line in text.splitlines():
        match = LINE.match(line)
        if match:
            records.append((int(match["pid"]), match["app"], match["level"], match["text"]))
        elif records:
            pid, app_, level, body = records[-1]
            records[-1] = (pid, app_, level, body + "\n" + line)
    statements: list[Statement] = []
    last: dict[int, Statement] = {}
    for pid, app_, level, body in records:
        if app_ != app:
            continue
        if level == "LOG" and body.startswith("statement: "):
            statements.append(Statement(body[len("statement: ") :], pid=pid))
        elif level == "LOG" and body.startswith("execute "):
            statements.append(Statement(body.split(": ", 1)[1], pid=pid))
        elif level == "DETAIL" and body.startswith("Parameters: ") and pid in last:
            last[pid].params = {int(n): v for n, v in PARAM.findall(body[len("Parameters: ") :])}
            continue
        else:
            continue
        last[pid] = statements[-1]
    return statements


def _keyword(stmt: Statement) -> str:
    return stmt.sql.strip().rstrip(";").strip().upper()


def split_requests(statements: list[Statement]) -> list[list[Statement]]:
    """One list per request: on each connection, everything up to and including a COMMIT.

    Connection-setup blocks (BEGIN, the dialect's version probes, ROLLBACK) are dropped:
    they run once per pooled connection, not per request. A transaction whose BEGIN was
    not logged (it was in flight when logging started) is dropped too.
    """
    requests: list[tuple[int, list[Statement]]] = []  # (position of first statement, txn)
    current: dict[int, list[Statement]] = {}
    block: dict[int, list[Statement]] = {}
    first: dict[int, int] = {}
    for index, stmt in enumerate(statements):
        kw = _keyword(stmt)
        first.setdefault(stmt.pid, index)
        pending = block.setdefault(stmt.pid, [])
        pending.append(stmt)
        if kw == "ROLLBACK":
            inner = [s.sql.strip().lower() for s in pending[1:-1]]
            if not (inner and all(s in CONNECTION_SETUP for s in inner)):
                current.setdefault(stmt.pid, []).extend(pending)
            block[stmt.pid] = []
        elif kw == "COMMIT":
            txn = current.pop(stmt.pid, []) + pending
            if _keyword(txn[0]) == "BEGIN":
                requests.append((first[stmt.pid], txn))
            block[stmt.pid] = []
            del first[stmt.pid]
    return [txn for _, txn in sorted(requests, key=lambda item: item[0])]


def pgbench_script(request: list[Statement]) -> str:
    return "\n".join(stmt.inlined() for stmt in request) + "\n"


def write_scripts(requests: list[list[Statement]], directory: Path, prefix: str) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, request in enumerate(requests):
        path = directory / f"{prefix}-{i:03d}.sql"
        path.write_text(pgbench_script(request))
        paths.append(path)
    return paths


def describe(request: list[Statement]) -> list[str]:
    """A short line per statement (for the report: what one request costs)."""
    out = []
    for stmt in request:
        sql = " ".join(stmt.sql.split())
        out.append(sql if len(sql) <= 90 else sql[:87] + "...")
    return out

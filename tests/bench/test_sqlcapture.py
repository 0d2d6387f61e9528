"""The benchmark's log cutter: what pgbench replays is what one request ran, nothing else."""

from __future__ import annotations

from bench import sqlcapture

PREFIX = "2026-11-21 15:57:53.192 UTC [{pid}] rolegate: "


def log(*lines: tuple[int, str]) -> str:
    return "\n".join(PREFIX.format(pid=pid) + text for pid, text in lines) + "\n"


# A fresh pooled connection: the dialect's probes, then a request whose insert makes
# asyncpg introspect an array type inside the request's transaction.
FRESH_CONNECTION = log(
    (7, "LOG:  statement: BEGIN;"),
    (7, "LOG:  execute __asyncpg_stmt_1__: select pg_catalog.version()"),
    (7, "LOG:  statement: ROLLBACK;"),
    (7, "LOG:  statement: BEGIN;"),
    (7, "LOG:  execute __asyncpg_stmt_5__: SELECT 1 FROM access_tokens WHERE id = $1::UUID"),
    (7, "DETAIL:  Parameters: $1 = '1f3a6afd-b658-4356-9ff4-bd4446eb54d7'"),
    (
        7,
        "LOG:  execute __asyncpg_stmt_7__: SELECT current_setting('jit') AS cur,"
        " set_config('jit', 'off', false) AS new",
    ),
    (7, "LOG:  execute __asyncpg_stmt_8__: WITH RECURSIVE typeinfo_tree(oid) AS (SELECT 1)"),
    (7, "DETAIL:  Parameters: $1 = '{1015}'"),
    (7, "LOG:  execute __asyncpg_stmt_9__: SELECT set_config('jit', $1, false)"),
    (7, "DETAIL:  Parameters: $1 = 'on'"),
    (7, "LOG:  execute __asyncpg_stmt_a__: INSERT INTO audit_events (id, action) VALUES ($1, $2)"),
    (7, "DETAIL:  Parameters: $1 = '5b0c4c4e-8d2a-4f0e-9c57-aaaaaaaaaaaa', $2 = 'x.update'"),
    (7, "LOG:  statement: COMMIT;"),
)


def test_asyncpg_type_introspection_on_a_fresh_connection_is_not_replayed() -> None:
    requests = sqlcapture.split_requests(sqlcapture.parse_log(FRESH_CONNECTION))

    assert len(requests) == 1
    script = sqlcapture.pgbench_script(requests[0])
    assert script.splitlines() == [
        "BEGIN;",
        "SELECT 1 FROM access_tokens WHERE id = '1f3a6afd-b658-4356-9ff4-bd4446eb54d7'::UUID;",
        "INSERT INTO audit_events (id, action) VALUES (gen_random_uuid(), 'x.update');",
        "COMMIT;",
    ]


def test_interleaved_connections_are_cut_into_one_transaction_each_in_start_order() -> None:
    text = log(
        (1, "LOG:  statement: BEGIN;"),
        (2, "LOG:  statement: BEGIN;"),
        (2, "LOG:  execute s1: SELECT 2"),
        (1, "LOG:  execute s1: SELECT 1"),
        (2, "LOG:  statement: COMMIT;"),
        (1, "LOG:  statement: COMMIT;"),
    )

    requests = sqlcapture.split_requests(sqlcapture.parse_log(text))

    assert [sqlcapture.pgbench_script(r) for r in requests] == [
        "BEGIN;\nSELECT 1;\nCOMMIT;\n",
        "BEGIN;\nSELECT 2;\nCOMMIT;\n",
    ]


def test_autocommit_reads_are_cut_at_the_harness_marker() -> None:
    # Two reads on one pooled connection, no BEGIN/COMMIT; the marker comes from psql.
    text = log(
        (3, "LOG:  execute s1: SELECT 1 FROM access_tokens"),
        (3, "LOG:  execute s2: SELECT 2 FROM identities"),
        (9, f"LOG:  statement: {sqlcapture.REQUEST_END};"),
        (3, "LOG:  execute s1: SELECT 1 FROM access_tokens"),
        (3, "LOG:  statement: BEGIN;"),
        (3, "LOG:  execute s3: UPDATE t SET x = 1"),
        (3, "LOG:  statement: COMMIT;"),
        (9, f"LOG:  statement: {sqlcapture.REQUEST_END};"),
    ).replace("[9] rolegate:", "[9] psql:")

    requests = sqlcapture.split_requests(sqlcapture.parse_log(text))

    assert [sqlcapture.pgbench_script(r) for r in requests] == [
        "SELECT 1 FROM access_tokens;\nSELECT 2 FROM identities;\n",
        "SELECT 1 FROM access_tokens;\n",
        "BEGIN;\nUPDATE t SET x = 1;\nCOMMIT;\n",
    ]

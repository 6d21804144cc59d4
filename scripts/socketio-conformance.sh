#!/usr/bin/env bash
# Run the official Engine.IO and Socket.IO protocol test suites against
# Concord's protocol code (crates/api/src/socketio), served by the example
# crates/api/examples/socketio-conformance.rs on 127.0.0.1:3000.
#
#   scripts/socketio-conformance.sh [SUITE...]
#
# Each SUITE is a local checkout of https://github.com/socketio/engine.io-protocol
# or https://github.com/socketio/socket.io-protocol (its root, or its
# test-suite/ folder). This script fetches nothing from GitHub: clone them
# yourself (README, "Socket.IO conformance"). For each suite it runs `npm ci`
# when node_modules/ is missing (npm registry), then `npm test`, unchanged.
#
# Without a SUITE it only builds and starts the example, in the foreground,
# for running the suites by hand. Port 3000 must be free (the suites' URL is
# fixed). Exit status: non-zero if any suite failed.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
readonly REPO
readonly ADDRESS=127.0.0.1:3000

log() { printf 'socketio-conformance: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

suites=()
for arg in "$@"; do
  [[ -d "$arg" ]] || die "$arg is not a folder"
  dir="$(cd "$arg" && pwd -P)"
  [[ -f "$dir/test-suite/test-suite.js" ]] && dir="$dir/test-suite"
  [[ -f "$dir/test-suite.js" && -f "$dir/package.json" ]] \
    || die "$arg holds no test-suite/test-suite.js"
  suites+=("$dir")
done

cd "$REPO"
log "building the example (release)"
cargo build --release --example socketio-conformance
readonly example="$REPO/target/release/examples/socketio-conformance"

if ((${#suites[@]} == 0)); then
  log "serving on $ADDRESS; run 'npm ci && npm test' in each suite's test-suite/ folder"
  exec "$example"
fi

command -v npm >/dev/null || die "npm is needed to run the suites (Node.js 18 or newer)"

log_file="$REPO/target/socketio-conformance.log"
"$example" >"$log_file" 2>&1 &
server_pid=$!
stop_server() { kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; }
trap stop_server EXIT

for _ in $(seq 1 100); do
  if (exec 3<>"/dev/tcp/${ADDRESS%:*}/${ADDRESS#*:}") 2>/dev/null; then
    break
  fi
  kill -0 "$server_pid" 2>/dev/null || die "the example exited; see $log_file"
  sleep 0.1
done

failed=0
for dir in "${suites[@]}"; do
  log "suite $dir"
  if [[ ! -d "$dir/node_modules" ]]; then
    (cd "$dir" && npm ci --no-audit --no-fund) || die "npm ci failed in $dir"
  fi
  if ! (cd "$dir" && npm test); then
    failed=1
    log "FAILED: $dir"
  fi
done

if ((failed)); then
  log "some suites failed; the example's log is $log_file"
  exit 1
fi
log "every suite passed"

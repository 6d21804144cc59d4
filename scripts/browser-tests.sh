#!/usr/bin/env bash
# The browser tests: the console at / driven in Debian's Chromium by
# Playwright (tests/browser/), against a Concord of their own on a fresh
# database that they drop afterwards.
#
#   scripts/browser-tests.sh                 # run them (make test does, after cargo test)
#   scripts/browser-tests.sh --screenshots   # also refresh docs/console-*.png
#
# Installs what is missing: Chromium with apt-get (as root, or with sudo),
# and the pinned playwright-core with `npm ci` from tests/browser's
# lockfile. Node.js 20 or newer must be on the machine. Builds the debug
# `concord` if needed. The database server is the one scripts/dev-db.sh
# resolves (DATABASE_URL when set).
#
# Environment knobs:
#   CHROMIUM     the browser binary (default /usr/bin/chromium)
#   CONCORD_BIN  the server binary (default target/debug/concord)
#   KEEP_DB=1    keep the test database afterwards
#
# Concord's log and the screenshots of a run are in target/browser/.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
readonly REPO
cd "$REPO"

readonly SUITE="$REPO/tests/browser"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

log() { printf 'browser-tests: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

screenshots=""
case "${1:-}" in
    "") ;;
    --screenshots) screenshots="docs" ;;
    *) die "unknown argument $1 (only --screenshots)" ;;
esac

# Without a database, run again inside the one dev-db.sh resolves.
if [[ -z ${DATABASE_URL:-} ]]; then
    exec scripts/dev-db.sh exec "$0" "$@"
fi

apt_install() {
    command -v apt-get >/dev/null || die "need $* but apt-get is not available; install it by hand"
    local sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null || die "need $* (apt-get install -y $*); run as root or install it by hand"
        sudo=(sudo)
    fi
    log "installing $*"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update >&2
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" >&2
}

# --- the tools ---------------------------------------------------------------

command -v node >/dev/null && command -v npm >/dev/null ||
    die "Node.js and npm are needed (Node.js 20 or newer)"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
((node_major >= 20)) || die "Node.js $(node --version) is too old: playwright-core needs 20 or newer"

[[ -x $CHROMIUM ]] || apt_install chromium
[[ -x $CHROMIUM ]] || die "$CHROMIUM is still missing after installing chromium; set CHROMIUM"

# `npm ci` installs exactly the lockfile; skip it when that is what is there.
wanted="$(node -p 'require(process.argv[1]).packages["node_modules/playwright-core"].version' "$SUITE/package-lock.json")"
have="$(node -p 'try { require(process.argv[1]).version } catch { "" }' "$SUITE/node_modules/playwright-core/package.json")"
if [[ $have != "$wanted" ]]; then
    log "installing playwright-core $wanted (npm ci)"
    npm ci --prefix "$SUITE" --no-audit --no-fund >&2
fi

log "$("$CHROMIUM" --version 2>/dev/null), playwright-core $wanted, node $(node --version)"

# --- the server --------------------------------------------------------------

if [[ -z ${CONCORD_BIN:-} ]]; then
    log "building Concord"
    cargo build --bin concord
fi

# --- the tests ---------------------------------------------------------------

mkdir -p target/browser
if [[ -n $screenshots ]]; then
    export CONSOLE_SCREENSHOTS="$screenshots"
fi
cd "$SUITE"
if ! node --test --test-reporter=spec --test-concurrency=1 console.test.mjs; then
    log "failed: Concord's log is target/browser/server.log"
    exit 1
fi
if [[ -n $screenshots ]]; then
    log "screenshots written to $screenshots/console-desktop.png and $screenshots/console-phone.png"
fi

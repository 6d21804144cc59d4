#!/usr/bin/env bash
# `make fuzz`: check that /api/openapi.json is valid OpenAPI 3.1 and that the
# server does what it says, with schemathesis.
#
#   scripts/fuzz.sh
#
# Steps: install schemathesis and openapi-spec-validator (pinned below) into a
# venv of this checkout, .venv-fuzz, if they are missing; build Concord and
# start it on a fresh database of its own; seed it (scripts/fuzz-seed.py);
# validate the served document; run schemathesis with every check and every
# phase (stateful included), once as the seeded workspace owner and once with
# no credentials; stop Concord and drop the database. Any validator error or
# schemathesis failure fails the run.
#
# Environment knobs:
#   DATABASE_URL        which Postgres server to use (resolved by
#                       scripts/dev-db.sh); the database name in it is
#                       replaced by a fresh concord_fuzz_<time>
#   FUZZ_MAX_EXAMPLES   test cases per operation and phase, default 10
#   FUZZ_SEED           schemathesis's random seed, to replay a run
#   FUZZ_KEEP_DB=1      keep the database afterwards
#
# Concord's log is target/fuzz/server.log; schemathesis's reports (JUnit and
# a reproducible cassette of every request) are in target/fuzz/.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
readonly REPO
cd "$REPO"

readonly SCHEMATHESIS_VERSION=4.32.5
readonly VALIDATOR_VERSION=0.9.0
readonly VENV="$REPO/.venv-fuzz"
readonly OUT="$REPO/target/fuzz"
readonly MAX_EXAMPLES="${FUZZ_MAX_EXAMPLES:-10}"

log() { printf 'fuzz: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# --- the tools ---------------------------------------------------------------

python=""
for candidate in python3 python3.13 python3.12 python3.11 python3.10; do
    if command -v "$candidate" >/dev/null; then
        python=$candidate
        break
    fi
done

apt_install() {
    command -v apt-get >/dev/null || die "need $* but apt-get is not available; install it by hand"
    [[ $(id -u) -eq 0 ]] || die "need $* (apt-get install -y $*); run as root or install it by hand"
    log "installing $*"
    DEBIAN_FRONTEND=noninteractive apt-get update >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" >&2
}

tools_ready() {
    [[ -x $VENV/bin/schemathesis && -x $VENV/bin/openapi-spec-validator ]] &&
        "$VENV/bin/python" - "$SCHEMATHESIS_VERSION" "$VALIDATOR_VERSION" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
sys.exit(0 if (version("schemathesis"), version("openapi-spec-validator")) == tuple(sys.argv[1:]) else 1)
PY
}

install_tools() {
    [[ -n $python ]] || apt_install python3 python3-venv
    [[ -n $python ]] || python=python3
    # Debian splits venv (and its pip bootstrap) out of python3.
    if ! "$python" -c 'import venv, ensurepip' 2>/dev/null; then
        apt_install python3-venv
    fi
    rm -rf "$VENV"
    log "creating $VENV with schemathesis $SCHEMATHESIS_VERSION, openapi-spec-validator $VALIDATOR_VERSION"
    "$python" -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check \
        "schemathesis==$SCHEMATHESIS_VERSION" "openapi-spec-validator==$VALIDATOR_VERSION" >&2
}

tools_ready || install_tools
tools_ready || die "schemathesis or openapi-spec-validator did not install into $VENV"

# --- a fresh Concord ---------------------------------------------------------

# shellcheck source=scripts/server-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/server-lib.sh"

log "building Concord"
cargo build --bin concord

# The same server dev-db.sh picks for `make run`, with a database of our own.
server_url="$(scripts/dev-db.sh url)"
base="${server_url%%\?*}"
query="${server_url#"$base"}"
db_name="concord_fuzz_$(date +%s)_$$"
db_url="${base%/*}/${db_name}${query}"
admin_url="${base%/*}/postgres${query}"
port="$(free_port)"
api="http://127.0.0.1:$port"
rm -rf "$OUT"
mkdir -p "$OUT"

server_pid=""
cleanup() {
    stop_server "$server_pid"
    if [[ ${FUZZ_KEEP_DB:-} == 1 ]]; then
        log "kept database $db_name"
    else
        psql -X -q -d "$admin_url" -c "DROP DATABASE IF EXISTS \"$db_name\" WITH (FORCE)" >&2 ||
            log "could not drop database $db_name"
    fi
}
trap cleanup EXIT

# The fuzzer is one address sending thousands of requests, sign-ins among
# them: the limits are raised far above it (the checks still run on every
# request, they just never refuse one). bcrypt at its lowest cost keeps
# sign-ups from dominating the run.
log "starting Concord on $api, database $db_name"
DATABASE_URL="$db_url" CONCORD__DATABASE__URL="$db_url" \
    CONCORD__SERVER__HOST=127.0.0.1 CONCORD__SERVER__PORT="$port" CONCORD__METRICS__PORT=0 \
    CONCORD__AUTH__BCRYPT_COST=4 CONCORD__REALTIME__BROKER=local \
    CONCORD__RATE_LIMIT__USER_PER_SECOND=1000000000 CONCORD__RATE_LIMIT__USER_BURST=1000000000 \
    CONCORD__RATE_LIMIT__SIGN_IN_BURST=1000000000 CONCORD__RATE_LIMIT__SIGN_IN_INTERVAL_SECS=1 \
    CONCORD__RATE_LIMIT__ADDRESS_BURST=1000000000 CONCORD__RATE_LIMIT__ADDRESS_INTERVAL_SECS=1 \
    target/debug/concord >"$OUT/server.log" 2>&1 &
server_pid=$!

# Concord creates the database and migrates it before it listens.
for _ in $(seq 120); do
    healthy "$port" && break
    kill -0 "$server_pid" 2>/dev/null || { tail -n 20 "$OUT/server.log" >&2; die "Concord exited"; }
    sleep 0.5
done
healthy "$port" || die "Concord did not answer GET /health within 60 s"

"$VENV/bin/python" scripts/fuzz-seed.py "$api"

# --- the document ------------------------------------------------------------

log "validating $api/api/openapi.json as OpenAPI 3.1"
"$VENV/bin/python" -c 'import sys, urllib.request; sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1]).read())' \
    "$api/api/openapi.json" >"$OUT/openapi.json"
"$VENV/bin/openapi-spec-validator" --schema 3.1 --validation-errors all "$OUT/openapi.json"

# --- schemathesis ------------------------------------------------------------

# Python before 3.11.8 can fail to parse source in two threads at once
# (CPython gh-106905), which hypothesis does: one worker there.
workers="$("$VENV/bin/python" -c 'import sys; print(2 if sys.version_info >= (3, 11, 8) else 1)')"

failed=0
fuzz() {
    local name=$1
    shift
    log "schemathesis, $name"
    # Every check, every phase; the reports name each failing request.
    "$VENV/bin/schemathesis" run "$api/api/openapi.json" \
        --url "$api" \
        --checks all \
        --phases examples,coverage,fuzzing,stateful \
        --max-examples "$MAX_EXAMPLES" \
        --workers "$workers" \
        --generation-database none \
        ${FUZZ_SEED:+--seed "$FUZZ_SEED"} \
        --no-color \
        --report junit,vcr --report-dir "$OUT/$name" \
        "$@" || failed=1
}
# History takes at most one of before (cursor), after and around, and
# answers 400 to two or more (API.md section 7): a rule across parameters
# that no schema can state, so the coverage and examples phases, which set
# every optional parameter at once, would count that 400 as a schema-valid
# request refused. The history routes run with every other check on their
# own (without the stateful phase: no link stays inside them);
# everything else runs with every check and phase. (The hooks bring
# generated requests inside the rule in the fuzzing and stateful phases.)
history='^GET (/api/channels/\{channelId\}/messages|/api/direct_messages/\{directMessageId\}/messages|/messages|/direct-messages)$'
# As the seeded owner (see scripts/fuzz_hooks.py), then as nobody.
export FUZZ_API="$api" FUZZ_EMAIL=owner@example.com FUZZ_PASSWORD=fuzz-password-1
SCHEMATHESIS_HOOKS=scripts/fuzz_hooks.py fuzz owner --exclude-name-regex "$history"
SCHEMATHESIS_HOOKS=scripts/fuzz_hooks.py fuzz owner-history --include-name-regex "$history" \
    --exclude-checks positive_data_acceptance --phases examples,coverage,fuzzing
fuzz anonymous

((failed == 0)) || die "schemathesis found failures (reports in $OUT)"
log "ok: the document is valid OpenAPI 3.1 and schemathesis found no failures"

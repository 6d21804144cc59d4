#!/usr/bin/env bash
# Resolve which PostgreSQL server Concord talks to in development and CI,
# and make sure it is running.
#
#   scripts/dev-db.sh url              print the database URL (stdout only)
#   scripts/dev-db.sh start            same, plus a human-readable note
#   scripts/dev-db.sh stop             stop the project-local cluster, if any
#   scripts/dev-db.sh exec CMD ARGS..  run CMD with DATABASE_URL exported
#
# Resolution order, first match wins:
#   a) DATABASE_URL already set: the caller knows best, touch nothing.
#   b) something answers on 127.0.0.1:5432: reuse the machine's server
#      rather than paying for a second one.
#   c) a throwaway cluster owned by this checkout (.pgdata, port 54329), so
#      a fresh machine needs no manual database setup at all.
#
# stdout carries nothing but the URL, so `$(scripts/dev-db.sh url)` is safe;
# every diagnostic goes to stderr.
#
# Environment knobs:
#   CONCORD_DEV_DB_PORT_PROBE  port probed for case (b), default 5432. Point
#                              it at a dead port to force case (c) for testing.
set -euo pipefail

# --- constants ---------------------------------------------------------------

SCRIPT_PATH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/$(basename "${BASH_SOURCE[0]}")"
# The repo is the script's parent directory; resolved physically so the data
# dir (and the fallback hash below) do not depend on how we were invoked.
REPO="$(cd "$(dirname "$SCRIPT_PATH")/.." && pwd -P)"
readonly SCRIPT_PATH REPO

readonly PROBE_PORT="${CONCORD_DEV_DB_PORT_PROBE:-5432}"
# Unusual port so the local cluster never fights with a system PostgreSQL.
readonly LOCAL_PORT=54329
# Both servers the script picks listen on loopback, where TLS protects nothing
# and costs every query a round of encryption on each side (history served
# about 1.7 times as many pages a second without it), so their URLs turn it off.
readonly LOOPBACK_OPTIONS="?sslmode=disable"
readonly LOCAL_URL="postgres://postgres@127.0.0.1:${LOCAL_PORT}/concord${LOOPBACK_OPTIONS}"
# PostgreSQL refuses to run as root, so root delegates to this account.
readonly PG_SYSTEM_USER=concord-pg
readonly START_TIMEOUT=30

log() { printf 'dev-db: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

is_root() { [[ $(id -u) -eq 0 ]]; }

# Probe with bash's /dev/tcp because pg_isready is not guaranteed to be
# installed; `timeout` guards against a filtered port hanging the connect.
port_open() {
    timeout 2 bash -c ": >/dev/tcp/127.0.0.1/$1" >/dev/null 2>&1
}

# --- running things as the cluster owner -------------------------------------

# initdb/pg_ctl must run as the cluster owner. `cd /` because runuser keeps
# the caller's cwd, and initdb aborts if it cannot stat a cwd such as /root.
as_pg() {
    if is_root; then
        (cd / && runuser -u "$PG_SYSTEM_USER" -- "$@")
    else
        (cd / && "$@")
    fi
}

ensure_system_user() {
    is_root || return 0
    id -u "$PG_SYSTEM_USER" >/dev/null 2>&1 && return 0
    log "creating system user $PG_SYSTEM_USER (PostgreSQL will not run as root)"
    local nologin=/usr/sbin/nologin
    [[ -x $nologin ]] || nologin=/bin/false
    useradd --system --no-create-home --home-dir /nonexistent \
        --shell "$nologin" "$PG_SYSTEM_USER" >&2
}

# --- where the local cluster lives -------------------------------------------

fallback_data_dir() {
    local hash
    hash="$(printf '%s' "$REPO" | sha256sum | cut -c1-12)"
    echo "/var/tmp/concord-pgdata-${hash}"
}

# Root's cluster runs as $PG_SYSTEM_USER, which must be able to walk every
# parent of the data dir. A checkout under e.g. /root is not walkable, and
# loosening /root's permissions behind the user's back is not acceptable, so
# the cluster moves to /var/tmp (keyed by repo path, so checkouts don't clash).
resolve_data_dir() {
    if is_root && ! runuser -u "$PG_SYSTEM_USER" -- test -x "$REPO" 2>/dev/null; then
        local dir
        dir="$(fallback_data_dir)"
        log "$REPO is not traversable by $PG_SYSTEM_USER; using $dir for the cluster instead"
        echo "$dir"
    else
        echo "$REPO/.pgdata"
    fi
}

# --- finding or installing the PostgreSQL binaries ---------------------------

highest_versioned_bindir() {
    local dirs=(/usr/lib/postgresql/*/bin)
    [[ -e ${dirs[0]} ]] || return 1
    printf '%s\n' "${dirs[@]}" | sort -V | tail -n 1
}

# Sets PG_BIN to a directory holding both initdb and pg_ctl. An existing
# cluster can only be started by its own major version, so a matching
# /usr/lib/postgresql/<N>/bin beats whatever happens to be first on PATH.
find_pg_bin() {
    local data_dir=$1 dir
    if [[ -f $data_dir/PG_VERSION ]]; then
        dir="/usr/lib/postgresql/$(<"$data_dir/PG_VERSION")/bin"
        if [[ -x $dir/pg_ctl ]]; then PG_BIN=$dir; return 0; fi
    fi
    if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
        dir="$(dirname "$(command -v pg_ctl)")"
        # Mixing initdb and pg_ctl from different installs invites version skew.
        if [[ -x $dir/initdb ]]; then PG_BIN=$dir; return 0; fi
    fi
    # Debian/Ubuntu keep the server binaries off PATH.
    if dir="$(highest_versioned_bindir)" && [[ -x $dir/initdb && -x $dir/pg_ctl ]]; then
        PG_BIN=$dir
        return 0
    fi
    return 1
}

install_postgres() {
    command -v apt-get >/dev/null ||
        die "PostgreSQL server binaries (initdb, pg_ctl) not found and apt-get is unavailable; install PostgreSQL or set DATABASE_URL"
    local sudo=()
    if ! is_root; then
        command -v sudo >/dev/null ||
            die "PostgreSQL server binaries not found; installing needs root (no sudo available). Install PostgreSQL or set DATABASE_URL"
        sudo=(sudo)
    fi
    log "PostgreSQL server binaries not found; installing the postgresql package"
    # stdout goes to stderr so `url` keeps a clean stdout even while installing.
    "${sudo[@]}" apt-get update >&2
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2
}

# --- cluster lifecycle -------------------------------------------------------

# Rewritten on every start rather than baked in at initdb time: the socket
# path is absolute and must follow the checkout if it is moved, and changes
# to these settings should reach clusters that already exist.
write_dev_conf() {
    local data_dir=$1 conf="$1/concord-dev.conf" sockets
    # A Unix socket path is limited to ~107 bytes; a deep checkout would push
    # "<data_dir>/.s.PGSQL.54329" past it and the server would refuse to
    # start. Concord only uses TCP, so dropping the socket is harmless.
    if (( ${#data_dir} + 15 < 107 )); then
        sockets=${data_dir//\'/\'\'}
    else
        log "data dir path too long for a Unix socket; the cluster will listen on TCP only"
        sockets=''
    fi
    {
        echo "# Written by scripts/dev-db.sh on every start; edits will be lost."
        # Loopback only: this cluster trusts every local connection.
        echo "listen_addresses = '127.0.0.1'"
        echo "port = ${LOCAL_PORT}"
        # Inside the data dir because the distro default (/var/run/postgresql)
        # is not writable by the cluster owner.
        echo "unix_socket_directories = '${sockets}'"
    } >"$conf"
    if is_root; then chown "$PG_SYSTEM_USER": "$conf"; fi
}

init_cluster() {
    local data_dir=$1
    if [[ -L $data_dir ]]; then
        # /var/tmp is world-writable: never follow a planted symlink as root.
        die "$data_dir is a symlink; refusing to use it"
    fi
    if [[ -e $data_dir ]] && [[ -n "$(ls -A "$data_dir")" ]]; then
        die "$data_dir exists but holds no initialised cluster; remove it and retry"
    fi
    log "initialising a local PostgreSQL cluster in $data_dir"
    mkdir -p "$data_dir"
    chmod 700 "$data_dir"
    if is_root; then chown "$PG_SYSTEM_USER": "$data_dir"; fi
    # --locale=C: independent of which locales the host has generated (initdb
    # fails on a LANG that is not installed), and byte-wise collation keeps
    # ORDER BY results identical on every machine.
    as_pg "$PG_BIN/initdb" -D "$data_dir" -U postgres --auth=trust -E UTF8 --locale=C >&2
    # Relative include resolves next to postgresql.conf, so it survives moves.
    echo "include_if_exists = 'concord-dev.conf'" >>"$data_dir/postgresql.conf"
}

postmaster_pid() {
    local pidfile="$1/postmaster.pid"
    [[ -f $pidfile ]] && head -n 1 "$pidfile"
}

# A postmaster.pid outlives a killed container or session; after a restart
# its pid is often reused by an unrelated process (even another cluster's
# postgres), which PostgreSQL takes as "another server is running". The pid
# is only ours if it is a postgres process whose cwd is our data dir (the
# postmaster chdirs there).
pid_is_our_postmaster() {
    local pid=$1 data_dir comm cwd stat
    data_dir="$(cd "$2" && pwd -P)"
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    # A killed postmaster can linger as a zombie when the container's init
    # is slow to reap it; pg_ctl still calls that "running", we must not.
    if stat="$(cat "/proc/$pid/stat" 2>/dev/null)"; then
        stat=${stat##*) }
        [[ ${stat%% *} != Z ]] || return 1
    fi
    if cwd="$(readlink "/proc/$pid/cwd" 2>/dev/null)"; then
        [[ $cwd == "$data_dir" ]]
    elif [[ -r /proc/$pid/comm ]]; then
        # cwd unreadable (another user's process): settle for the name.
        comm="$(<"/proc/$pid/comm")"
        [[ $comm == postgres* || $comm == postmaster* ]]
    else
        # No /proc: the best we can say is whether the pid exists at all.
        kill -0 "$pid" 2>/dev/null
    fi
}

# The socket lock file names the same pid and is checked the same way, so a
# stale postmaster.pid never comes alone. Only call once the pid is known dead.
remove_stale_locks() {
    rm -f "$1/postmaster.pid" "$1/.s.PGSQL.${LOCAL_PORT}.lock" "$1/.s.PGSQL.${LOCAL_PORT}"
}

pg_ctl_start() {
    local data_dir=$1
    # 9<&-: the server must not inherit the flock held on fd 9, or it would
    # keep every later invocation of this script waiting for as long as it runs.
    as_pg "$PG_BIN/pg_ctl" start -D "$data_dir" -l "$data_dir/server.log" \
        -w -t "$START_TIMEOUT" >&2 9<&-
}

start_cluster() {
    local data_dir=$1 pid
    if as_pg "$PG_BIN/pg_ctl" status -D "$data_dir" >/dev/null 2>&1; then
        pid="$(postmaster_pid "$data_dir" || true)"
        if pid_is_our_postmaster "$pid" "$data_dir"; then
            return 0
        fi
        log "removing stale lock files (pid $pid is not this cluster's server)"
        remove_stale_locks "$data_dir"
    fi
    log "starting local PostgreSQL on 127.0.0.1:$LOCAL_PORT (log: $data_dir/server.log)"
    if pg_ctl_start "$data_dir"; then
        return 0
    fi
    pid="$(postmaster_pid "$data_dir" || true)"
    if [[ -n $pid ]] && ! pid_is_our_postmaster "$pid" "$data_dir"; then
        log "start failed on a stale postmaster.pid (pid $pid); removing lock files and retrying once"
        remove_stale_locks "$data_dir"
        pg_ctl_start "$data_dir" && return 0
    fi
    log "PostgreSQL failed to start; last lines of $data_dir/server.log:"
    tail -n 20 "$data_dir/server.log" >&2 2>/dev/null || true
    exit 1
}

# pg_ctl -w only knows the postmaster is up; the URL is only worth handing
# out once TCP connections are actually accepted.
wait_for_port() {
    local deadline=$((SECONDS + START_TIMEOUT))
    until port_open "$LOCAL_PORT"; do
        ((SECONDS < deadline)) || die "local PostgreSQL did not accept connections on port $LOCAL_PORT within ${START_TIMEOUT}s"
        sleep 0.5
    done
}

ensure_local_cluster() {
    ensure_system_user
    DATA_DIR="$(resolve_data_dir)"
    if ! find_pg_bin "$DATA_DIR"; then
        install_postgres
        find_pg_bin "$DATA_DIR" || die "installed postgresql but still cannot find initdb/pg_ctl"
    fi
    if [[ ! -f $DATA_DIR/PG_VERSION ]]; then
        init_cluster "$DATA_DIR"
    fi
    write_dev_conf "$DATA_DIR"
    start_cluster "$DATA_DIR"
    wait_for_port
}

# Serialise concurrent invocations (e.g. `make run` and `make test` in two
# terminals) so they do not both initdb or start the same cluster. Locking
# the script itself avoids leaving a lock file in the checkout.
with_lock() {
    if ! command -v flock >/dev/null; then
        "$@"
        return
    fi
    {
        flock -w 300 9 || die "timed out waiting for another dev-db.sh to finish"
        "$@"
    } 9<"$SCRIPT_PATH"
}

# --- resolution --------------------------------------------------------------

# Sets URL and SOURCE. An empty DATABASE_URL counts as unset: it can never be
# a usable URL and usually comes from `DATABASE_URL= make ...` meaning "none".
resolve() {
    if [[ -n ${DATABASE_URL:-} ]]; then
        URL=$DATABASE_URL
        SOURCE="DATABASE_URL from the environment"
        return
    fi
    [[ $PROBE_PORT =~ ^[0-9]+$ ]] || die "CONCORD_DEV_DB_PORT_PROBE must be a port number, got '$PROBE_PORT'"
    if port_open "$PROBE_PORT"; then
        URL="postgres://postgres@127.0.0.1:${PROBE_PORT}/concord${LOOPBACK_OPTIONS}"
        SOURCE="existing server on 127.0.0.1:${PROBE_PORT}"
        return
    fi
    with_lock ensure_local_cluster
    URL=$LOCAL_URL
    SOURCE="local cluster in $DATA_DIR"
}

# Stops whichever local cluster exists, without installing anything or
# creating the system user: stopping must never have side effects beyond that.
stop() {
    local data_dir stopped=0
    for data_dir in "$REPO/.pgdata" "$(fallback_data_dir)"; do
        [[ -f $data_dir/PG_VERSION ]] || continue
        if is_root && ! id -u "$PG_SYSTEM_USER" >/dev/null 2>&1; then
            continue
        fi
        find_pg_bin "$data_dir" || { log "no pg_ctl found; cannot stop $data_dir"; continue; }
        # Check the pid ourselves: pg_ctl would happily signal whatever
        # unrelated process has reused a stale postmaster.pid's pid.
        if as_pg "$PG_BIN/pg_ctl" status -D "$data_dir" >/dev/null 2>&1 &&
            pid_is_our_postmaster "$(postmaster_pid "$data_dir" || true)" "$data_dir"; then
            log "stopping local PostgreSQL in $data_dir"
            as_pg "$PG_BIN/pg_ctl" stop -D "$data_dir" -m fast -w >&2
            stopped=1
        fi
    done
    ((stopped)) || log "no local cluster running; nothing to stop"
}

usage() {
    sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$SCRIPT_PATH" >&2
}

main() {
    local cmd=${1:-}
    [[ $# -gt 0 ]] && shift
    case $cmd in
        url)
            resolve
            printf '%s\n' "$URL"
            ;;
        start)
            resolve
            log "database ready ($SOURCE): $URL"
            printf '%s\n' "$URL"
            ;;
        stop)
            with_lock stop
            ;;
        exec)
            [[ $# -gt 0 ]] || { usage; die "exec needs a command to run"; }
            resolve
            export DATABASE_URL=$URL
            exec "$@"
            ;;
        -h | --help | help)
            usage
            ;;
        *)
            usage
            exit 2
            ;;
    esac
}

main "$@"

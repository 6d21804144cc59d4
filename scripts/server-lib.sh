# Shared by the scripts that start a Concord of their own (bench.sh,
# fuzz.sh): source it after defining `die`.

# A port below the ephemeral range (32768 and up on Linux), so that none of
# a load generator's tens of thousands of client sockets can be handed it.
free_port() {
    local port
    for _ in $(seq 100); do
        port=$((20000 + RANDOM % 12000))
        if ! timeout 1 bash -c ": >/dev/tcp/127.0.0.1/$port" 2>/dev/null; then
            echo "$port"
            return
        fi
    done
    die "no free port found"
}

# Whether the Concord on 127.0.0.1:$1 answers /health with 200.
healthy() {
    timeout 2 bash -c '
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        printf "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" >&3
        read -r _ status _ <&3
        [[ $status == 200 ]]' _ "$1" 2>/dev/null
}

# Stops the Concord running as process $1, if any: TERM, up to 10 s to
# finish, then KILL.
stop_server() {
    local pid=$1
    if [[ -z $pid ]] || ! kill -0 "$pid" 2>/dev/null; then
        return 0
    fi
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    kill -9 "$pid" 2>/dev/null || true
}

#!/usr/bin/env bash
# Real servers on corio against real clients, measured against their best peers in the
# same run (issue 17).
#
#   runtime/benches/real-clients.sh [redis] [ROUNDS]
#
# redis: `redis-benchmark -c 50` against the `redis_server` example and a real
#   `redis-server --save "" --appendonly no`, alternating which goes first in each round;
#   prints the median requests/s of each and the ratio redis_server / redis-server.
#
# Knobs (environment): ROUNDS (default 4), REDIS_N (requests per unpipelined test, default
# 100000), REDIS_N_PIPELINED (per -P 16 test, default 1000000: 100000 lasts ~0.1 s there),
# REDIS_CLIENTS (default 50), SERVER_CPU / CLIENT_CPU (taskset CPUs when the machine has at
# least two: the server and the load generator each get one, the same for both servers).
# Installs the Debian packages redis-server, redis-tools and wrk when missing.
set -euo pipefail
cd "$(dirname "$0")/../.."

section="${1:-all}"
ROUNDS="${2:-${ROUNDS:-4}}"
REDIS_N="${REDIS_N:-100000}"
REDIS_N_PIPELINED="${REDIS_N_PIPELINED:-1000000}"
REDIS_CLIENTS="${REDIS_CLIENTS:-50}"

ensure_packages() {
    local missing=()
    command -v redis-server >/dev/null || missing+=(redis-server)
    command -v redis-benchmark >/dev/null || missing+=(redis-tools)
    command -v wrk >/dev/null || missing+=(wrk)
    if ((${#missing[@]})); then
        local sudo=""
        [[ $(id -u) -eq 0 ]] || sudo="sudo"
        $sudo apt-get update -qq
        $sudo apt-get install -y -qq "${missing[@]}"
    fi
}

# Pinning: the server on one CPU, the client on another, when there are two.
if (($(nproc) >= 2)) && command -v taskset >/dev/null; then
    SERVER_PIN=(taskset -c "${SERVER_CPU:-1}")
    CLIENT_PIN=(taskset -c "${CLIENT_CPU:-0}")
else
    SERVER_PIN=()
    CLIENT_PIN=()
fi

PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
        echo $((20000 + RANDOM % 20000))
}

wait_for_port() {
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "nothing listens on port $1" >&2
    return 1
}

# median of the numbers on stdin
median() {
    sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# redis-benchmark against one server; appends "server<TAB>test<TAB>rps" lines to $results.
redis_round() {
    local name=$1 port=$2
    "${CLIENT_PIN[@]}" redis-benchmark -p "$port" -c "$REDIS_CLIENTS" -n "$REDIS_N" --csv \
        -t ping_inline,ping_mbulk,set,get,incr,lpush,lpop |
        awk -F'"' -v s="$name" 'NR > 1 { printf "%s\t%s\t%s\n", s, $2, $4 }' >>"$results"
    "${CLIENT_PIN[@]}" redis-benchmark -p "$port" -c "$REDIS_CLIENTS" -n "$REDIS_N_PIPELINED" -P 16 --csv \
        -t set,get |
        awk -F'"' -v s="$name" 'NR > 1 { printf "%s\t%s (-P 16)\t%s\n", s, $2, $4 }' >>"$results"
}

bench_redis() {
    cargo build --release -q -p corio --example redis_server
    local ours_port real_port
    ours_port=$(free_port)
    "${SERVER_PIN[@]}" target/release/examples/redis_server --port "$ours_port" 2>/dev/null &
    PIDS+=($!)
    real_port=$(free_port)
    "${SERVER_PIN[@]}" redis-server --port "$real_port" --bind 127.0.0.1 --save "" --appendonly no \
        >/dev/null &
    PIDS+=($!)
    wait_for_port "$ours_port"
    wait_for_port "$real_port"

    results=$(mktemp)
    for round in $(seq "$ROUNDS"); do
        echo "round $round/$ROUNDS" >&2
        if ((round % 2)); then
            redis_round redis_server "$ours_port"
            redis_round redis-server "$real_port"
        else
            redis_round redis-server "$real_port"
            redis_round redis_server "$ours_port"
        fi
    done

    echo
    echo "redis-benchmark -c $REDIS_CLIENTS, -n $REDIS_N (-P 16: -n $REDIS_N_PIPELINED); medians of $ROUNDS alternating rounds, requests/s"
    printf '| %-16s | %14s | %14s | %7s |\n' test redis_server redis-server ratio
    printf '|%s|%s|%s|%s|\n' ------------------ ---------------- ---------------- ---------
    local test ours real
    for test in PING_INLINE PING_MBULK SET GET INCR LPUSH LPOP "SET (-P 16)" "GET (-P 16)"; do
        ours=$(awk -F'\t' -v t="$test" '$1 == "redis_server" && $2 == t { print $3 }' "$results" | median)
        real=$(awk -F'\t' -v t="$test" '$1 == "redis-server" && $2 == t { print $3 }' "$results" | median)
        printf '| %-16s | %14s | %14s | %6.2fx |\n' "$test" "$ours" "$real" "$(awk -v a="$ours" -v b="$real" 'BEGIN { print a / b }')"
    done
    rm -f "$results"
}

ensure_packages
case "$section" in
    redis | all) bench_redis ;;
    *)
        echo "usage: $0 [redis|all] [ROUNDS]" >&2
        exit 2
        ;;
esac

#!/usr/bin/env bash
# Real servers on corio against real clients, measured against their best peers in the
# same run (issue 17).
#
#   runtime/benches/real-clients.sh [redis] [ROUNDS]
#
# redis: `redis-benchmark -c 50` (ping_inline ping_mbulk set get incr lpush lpop, then set
#   and get with -P 16) against the `redis_server` example and a real
#   `redis-server --save "" --appendonly no`: each test against both back to back, which one
#   goes first alternating; prints the median requests/s of each and the ratio.
#
# Knobs (environment): ROUNDS (default 4), REDIS_N (requests per unpipelined test, default
# 100000), REDIS_N_PIPELINED (per -P 16 test, default 1000000: 100000 lasts ~0.1 s there),
# REDIS_CLIENTS (default 50), SERVER_CPU / CLIENT_CPU (taskset CPUs when the machine has at
# least two: the server and the load generator each get one, the same for both servers;
# PIN=0 turns pinning off).
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
if [[ ${PIN:-1} != 0 ]] && (($(nproc) >= 2)) && command -v taskset >/dev/null; then
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

REDIS_TESTS=(ping_inline ping_mbulk set get incr lpush lpop "set -P 16" "get -P 16")

# One redis-benchmark test against one server; prints its requests/s.
redis_run() {
    local port=$1 test=$2 n=$REDIS_N extra=()
    if [[ $test == *" -P 16" ]]; then
        test=${test% -P 16}
        n=$REDIS_N_PIPELINED
        extra=(-P 16)
    fi
    "${CLIENT_PIN[@]}" redis-benchmark -p "$port" -c "$REDIS_CLIENTS" -n "$n" "${extra[@]}" --csv -t "$test" |
        awk -F'"' 'NR > 1 { print $4 }'
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

    # Each test runs against both servers back to back, the order alternating from one
    # round (and one test) to the next, so that a change in the machine's load hits both.
    local results round i test ours real
    results=$(mktemp)
    for round in $(seq "$ROUNDS"); do
        echo "round $round/$ROUNDS" >&2
        i=0
        for test in "${REDIS_TESTS[@]}"; do
            if (((round + i) % 2)); then
                ours=$(redis_run "$ours_port" "$test")
                real=$(redis_run "$real_port" "$test")
            else
                real=$(redis_run "$real_port" "$test")
                ours=$(redis_run "$ours_port" "$test")
            fi
            printf '%s\t%s\t%s\t%s\n' "$test" "$ours" "$real" "$(awk -v a="$ours" -v b="$real" 'BEGIN { print a / b }')" >>"$results"
            i=$((i + 1))
        done
    done

    echo
    echo "redis-benchmark -c $REDIS_CLIENTS -n $REDIS_N (-P 16: -n $REDIS_N_PIPELINED), $ROUNDS rounds; medians, requests/s;"
    echo "ratio: redis_server / redis-server, median of the rounds' ratios [min-max]"
    printf '| %-12s | %12s | %12s | %-20s |\n' test redis_server redis-server ratio
    printf '|%s|%s|%s|%s|\n' -------------- -------------- -------------- ----------------------
    for test in "${REDIS_TESTS[@]}"; do
        ours=$(awk -F'\t' -v t="$test" '$1 == t { print $2 }' "$results" | median)
        real=$(awk -F'\t' -v t="$test" '$1 == t { print $3 }' "$results" | median)
        ratio=$(awk -F'\t' -v t="$test" '$1 == t { print $4 }' "$results" | median)
        range=$(awk -F'\t' -v t="$test" '$1 == t { print $4 }' "$results" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.2f-%.2f", lo, hi }')
        printf '| %-12s | %12.0f | %12.0f | %5.2fx [%s] |\n' "$test" "$ours" "$real" "$ratio" "$range"
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

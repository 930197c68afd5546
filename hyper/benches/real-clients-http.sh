#!/usr/bin/env bash
# HTTP with real clients: examples/http_server (hyper on corio) against the same routes on
# hyper + tokio current_thread (examples/tokio_http_server), in the same run, alternating
# which server goes first, medians over the rounds.
#
#   bash hyper/benches/real-clients-http.sh          # 4 rounds: wrk -c100 and -c1000, TLS
#   ROUNDS=6 SECS=10 bash hyper/benches/real-clients-http.sh
#
# * wrk (Debian's package, installed with apt-get if missing), `GET /` with keep-alive,
#   one wrk thread, at 100 and 1,000 connections, SECS seconds each (default 5);
# * TLS: examples/tls_handshake_client, TLS_CONNS (default 2,000) fresh connections one after
#   another, each a full TLS 1.3 handshake + `GET /` (rustls on ring on every side, the same
#   certificate from --cert/--key for both servers).
#
# Each server runs pinned to CPU 0 (`SERVER_CPU`), the client to CPU 1 (`CLIENT_CPU`), both at
# `nice -n $NICE` (default 0; a negative value, as root, keeps other work on a shared machine
# from taking the benchmark's CPUs).
# Besides req/s and latency it reports the server's processor time (user + system, from
# /proc/PID/stat) per request or per TLS connection: on a machine shared with other work the
# rates move with the scheduler, the processor time per request much less.
# Prints every measurement, then a table of medians and the corio/tokio ratios.
set -euo pipefail
cd "$(dirname "$0")/../.."

ROUNDS=${ROUNDS:-4}
SECS=${SECS:-5}
CONNS=${CONNS:-"100 1000"}
TLS_CONNS=${TLS_CONNS:-2000}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
PORT=${PORT:-18480}
NICE=${NICE:-0}

if ! command -v wrk >/dev/null; then
    echo "installing wrk" >&2
    apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi

cargo build --release -p corio-hyper --example http_server --example tokio_http_server \
    --example tls_handshake_client
bin=target/release/examples
work=$(mktemp -d)
trap 'kill "${server_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
"$bin/tls_handshake_client" --make-cert "$work"
ulimit -n 65536 2>/dev/null || true

# start_server NAME [ARGS...]: starts it pinned, waits until it listens
start_server() {
    local name=$1
    shift
    local exe=$bin/http_server
    [ "$name" = tokio ] && exe=$bin/tokio_http_server
    nice -n "$NICE" taskset -c "$SERVER_CPU" "$exe" --port "$PORT" "$@" 2>"$work/$name.err" &
    server_pid=$!
    for _ in $(seq 100); do
        grep -q '^listening on' "$work/$name.err" 2>/dev/null && return
        sleep 0.05
    done
    echo "$name did not start:" >&2
    cat "$work/$name.err" >&2
    exit 1
}

# the server's processor time so far (user + system), in clock ticks
cpu_ticks() {
    awk '{print $14 + $15}' "/proc/$server_pid/stat"
}
hz=$(getconf CLK_TCK)

stop_server() {
    kill "$server_pid"
    wait "$server_pid" 2>/dev/null || true
    server_pid=
}

results=$work/results
for round in $(seq "$ROUNDS"); do
    order="corio tokio"
    [ $((round % 2)) -eq 0 ] && order="tokio corio"
    for name in $order; do
        start_server "$name"
        for c in $CONNS; do
            t0=$(cpu_ticks)
            out=$(nice -n "$NICE" taskset -c "$CLIENT_CPU" wrk -t1 -c"$c" -d"${SECS}s" "http://127.0.0.1:$PORT/")
            t1=$(cpu_ticks)
            rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
            total=$(awk '/requests in/ {print $1}' <<<"$out")
            cpu_us=$(awk -v d=$((t1 - t0)) -v n="$total" -v hz="$hz" 'BEGIN {printf "%.2f", d * 1e6 / hz / n}')
            errors=$(awk '/Socket errors|Non-2xx/ {print}' <<<"$out" | tr '\n' ' ')
            echo "round $round  $name  wrk -c$c  $rps req/s  server CPU $cpu_us us/req  $errors"
            echo "wrk-c$c $name $rps $round" >>"$results"
            echo "cpu-us/req-c$c $name $cpu_us $round" >>"$results"
        done
        stop_server
        start_server "$name" --tls --cert "$work/cert.pem" --key "$work/key.pem"
        t0=$(cpu_ticks)
        out=$(nice -n "$NICE" taskset -c "$CLIENT_CPU" "$bin/tls_handshake_client" --port "$PORT" \
            --cert "$work/cert.pem" --conns "$TLS_CONNS")
        t1=$(cpu_ticks)
        cpu_us=$(awk -v d=$((t1 - t0)) -v n="$TLS_CONNS" -v hz="$hz" 'BEGIN {printf "%.2f", d * 1e6 / hz / n}')
        echo "round $round  $name  tls  $out  server CPU $cpu_us us/conn"
        echo "tls-cpu-us/conn $name $cpu_us $round" >>"$results"
        per_sec=$(sed -E 's/.*per_sec=([0-9.]+).*/\1/' <<<"$out")
        median=$(sed -E 's/.*median_us=([0-9.]+).*/\1/' <<<"$out")
        echo "tls-conns/s $name $per_sec $round" >>"$results"
        echo "tls-median-us $name $median $round" >>"$results"
        stop_server
    done
done

echo
echo "medians of $ROUNDS rounds (corio = examples/http_server, tokio = hyper + tokio current_thread)"
python3 - "$results" <<'EOF'
import sys, statistics
rows = {}
for line in open(sys.argv[1]):
    test, name, value, rnd = line.split()
    rows.setdefault(test, {}).setdefault(name, {})[rnd] = float(value)
print("ratio: corio/tokio for rates, tokio/corio for times (above 1: corio is better);")
print("the ratio column is the median of the per-round ratios [min-max]")
print(f"| {'test':<14} | {'corio':>10} | {'tokio':>10} | {'corio vs tokio':<24} |")
print(f"|{'-'*16}|{'-'*12}|{'-'*12}|{'-'*26}|")
for test, by in rows.items():
    c, t = by["corio"], by["tokio"]
    lower_is_better = "-us" in test
    ratios = sorted((t[r] / c[r]) if lower_is_better else (c[r] / t[r]) for r in c if r in t)
    cell = f"{statistics.median(ratios):.2f}x [{ratios[0]:.2f}-{ratios[-1]:.2f}]"
    print(f"| {test:<14} | {statistics.median(c.values()):>10.1f} | "
          f"{statistics.median(t.values()):>10.1f} | {cell:<24} |")
EOF

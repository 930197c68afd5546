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
# Each server runs pinned to CPU 0 (`SERVER_CPU`), the client to CPU 1 (`CLIENT_CPU`).
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
    taskset -c "$SERVER_CPU" "$exe" --port "$PORT" "$@" 2>"$work/$name.err" &
    server_pid=$!
    for _ in $(seq 100); do
        grep -q '^listening on' "$work/$name.err" 2>/dev/null && return
        sleep 0.05
    done
    echo "$name did not start:" >&2
    cat "$work/$name.err" >&2
    exit 1
}

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
            out=$(taskset -c "$CLIENT_CPU" wrk -t1 -c"$c" -d"${SECS}s" "http://127.0.0.1:$PORT/")
            rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
            errors=$(awk '/Socket errors|Non-2xx/ {print}' <<<"$out" | tr '\n' ' ')
            echo "round $round  $name  wrk -c$c  $rps req/s  $errors"
            echo "wrk-c$c $name $rps" >>"$results"
        done
        stop_server
        start_server "$name" --tls --cert "$work/cert.pem" --key "$work/key.pem"
        out=$(taskset -c "$CLIENT_CPU" "$bin/tls_handshake_client" --port "$PORT" \
            --cert "$work/cert.pem" --conns "$TLS_CONNS")
        echo "round $round  $name  tls  $out"
        per_sec=$(sed -E 's/.*per_sec=([0-9.]+).*/\1/' <<<"$out")
        median=$(sed -E 's/.*median_us=([0-9.]+).*/\1/' <<<"$out")
        echo "tls-conns/s $name $per_sec" >>"$results"
        echo "tls-median-us $name $median" >>"$results"
        stop_server
    done
done

echo
echo "medians of $ROUNDS rounds (corio = examples/http_server, tokio = hyper + tokio current_thread)"
python3 - "$results" <<'EOF'
import sys, statistics
rows = {}
for line in open(sys.argv[1]):
    test, name, value = line.split()
    rows.setdefault(test, {}).setdefault(name, []).append(float(value))
print(f"| {'test':<14} | {'corio':>10} | {'tokio':>10} | corio/tokio |")
print(f"|{'-'*16}|{'-'*12}|{'-'*12}|-------------|")
for test, by in rows.items():
    c, t = statistics.median(by["corio"]), statistics.median(by["tokio"])
    # latency: smaller is better, so the ratio is tokio/corio (above 1: corio is faster)
    ratio = t / c if test.endswith("-us") else c / t
    print(f"| {test:<14} | {c:>10.1f} | {t:>10.1f} | {ratio:>10.3f}x |")
EOF

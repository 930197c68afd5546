#!/usr/bin/env bash
# Past one core: examples/http_server on 1 and 2 corio loops (`--loops 1`, `--loops 2`, each
# loop on its own thread with its own SO_REUSEPORT listener) against the same routes on hyper +
# tokio's multi-thread runtime with 2 workers (`tokio_http_server --loops 2`), in one run,
# alternating which server goes first, medians over the rounds.
#
#   bash hyper/benches/loops-http.sh                     # 5 rounds of 8 s: about 5 minutes
#   ROUNDS=1 SECS=1 bash hyper/benches/loops-http.sh     # a smoke run (under a minute)
#   PIPELINE=8 WRK_THREADS=1 bash hyper/benches/loops-http.sh   # a cheaper client (see below)
#
# Routes, with wrk (Debian's package; installed with apt-get if missing), keep-alive,
# WRK_THREADS (default 2) threads and CONNS (default 64) connections:
# * cpu:   `GET /hash?rounds=$ROUNDS_HASH` (default 16): SHA-256 chained over a 1 KiB block,
#          about 20 µs of server CPU per request (measured: the server's processor time per
#          request under wrk, printed below for every run: 3.7 µs for `/`, 20.6 µs for
#          rounds=16, 34.3 µs for rounds=32 on the 2-core development machine);
# * cheap: `GET /` (Hello, World!).
# Nothing is pinned: the servers with 2 loops or 2 workers need both cores, and wrk shares
# them (it costs a few µs per request, so it takes a small share on the cpu route).
# Besides req/s it reports the server's processor time (user + system, from /proc/PID/stat)
# per request. Prints every measurement, then a table of medians and the median per-round
# ratios: 2 loops / 1 loop and 2 loops / tokio multi-thread (2 workers), above 1: faster.
set -euo pipefail
cd "$(dirname "$0")/../.."

ROUNDS=${ROUNDS:-5}
SECS=${SECS:-8}
CONNS=${CONNS:-64}
WRK_THREADS=${WRK_THREADS:-2}
ROUNDS_HASH=${ROUNDS_HASH:-16}
# PIPELINE=N: each wrk connection sends N requests in one write (HTTP/1.1 pipelining, which
# hyper serves in order); it cuts the client's own CPU per request, which on a 2-core machine
# shares the cores with the servers.
PIPELINE=${PIPELINE:-1}
PORT=${PORT:-18490}

if ! command -v wrk >/dev/null; then
    echo "installing wrk" >&2
    apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi

# Build first (a cold release build of hyper, rustls and ring takes minutes on 2 cores; the
# 5 minutes above are the measurements alone).
cargo build --release -p corio-hyper --example http_server --example tokio_http_server
bin=target/release/examples
started=$SECONDS
work=$(mktemp -d)
trap 'kill "${server_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
ulimit -n 65536 2>/dev/null || true
hz=$(getconf CLK_TCK)
wrk_script=()
if [ "$PIPELINE" -gt 1 ]; then
    cat >"$work/pipeline.lua" <<LUA
init = function(args)
    local path = wrk.path
    local r = {}
    for i = 1, $PIPELINE do r[i] = wrk.format(nil, path) end
    req = table.concat(r)
end
request = function() return req end
LUA
    wrk_script=(-s "$work/pipeline.lua")
fi

# start_server NAME: starts the server NAME stands for, waits until it listens
start_server() {
    local name=$1 exe args
    case $name in
        corio-1) exe=$bin/http_server args="--loops 1" ;;
        corio-2) exe=$bin/http_server args="--loops 2" ;;
        tokio-mt2) exe=$bin/tokio_http_server args="--loops 2" ;;
    esac
    # shellcheck disable=SC2086
    "$exe" --port "$PORT" $args 2>"$work/$name.err" &
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

# the server's processor time so far (user + system), in clock ticks
cpu_ticks() {
    awk '{print $14 + $15}' "/proc/$server_pid/stat"
}

results=$work/results
servers=(corio-1 corio-2 tokio-mt2)
for round in $(seq "$ROUNDS"); do
    # rotate the order each round, so that no server always runs first (or last)
    shift_by=$(((round - 1) % 3))
    order=("${servers[@]:shift_by}" "${servers[@]:0:shift_by}")
    for name in "${order[@]}"; do
        start_server "$name"
        for route in cpu cheap; do
            path=/
            [ "$route" = cpu ] && path="/hash?rounds=$ROUNDS_HASH"
            t0=$(cpu_ticks)
            out=$(wrk -t"$WRK_THREADS" -c"$CONNS" -d"${SECS}s" "${wrk_script[@]}" "http://127.0.0.1:$PORT$path")
            t1=$(cpu_ticks)
            rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
            total=$(awk '/requests in/ {print $1}' <<<"$out")
            cpu_us=$(awk -v d=$((t1 - t0)) -v n="$total" -v hz="$hz" \
                'BEGIN {printf "%.2f", d * 1e6 / hz / n}')
            errors=$(awk '/Socket errors|Non-2xx/ {print}' <<<"$out" | tr '\n' ' ')
            echo "round $round  $name  $route ($path)  $rps req/s  server CPU $cpu_us us/req  $errors"
            echo "$route $name $rps $round" >>"$results"
            echo "$route-cpu-us/req $name $cpu_us $round" >>"$results"
        done
        stop_server
    done
done

echo
echo "measured in $((SECONDS - started)) s (build excluded)"
echo "medians of $ROUNDS rounds of ${SECS}s, wrk -t$WRK_THREADS -c$CONNS, pipeline $PIPELINE; corio-N = http_server --loops N,"
echo "tokio-mt2 = the same routes on hyper + tokio multi-thread with 2 workers"
python3 - "$results" <<'EOF'
import sys, statistics
rows = {}
for line in open(sys.argv[1]):
    test, name, value, rnd = line.split()
    rows.setdefault(test, {}).setdefault(name, {})[rnd] = float(value)

def ratio(by, a, b, lower_is_better):
    rs = sorted((by[b][r] / by[a][r]) if lower_is_better else (by[a][r] / by[b][r])
                for r in by[a] if r in by[b])
    return f"{statistics.median(rs):.2f}x [{rs[0]:.2f}-{rs[-1]:.2f}]"

print("ratios are medians of the per-round ratios [min-max]; above 1: corio-2 is better")
print(f"| {'test':<18} | {'corio-1':>9} | {'corio-2':>9} | {'tokio-mt2':>9} "
      f"| {'2 loops / 1 loop':<20} | {'2 loops / tokio-mt2':<20} |")
print(f"|{'-'*20}|{'-'*11}|{'-'*11}|{'-'*11}|{'-'*22}|{'-'*22}|")
for test, by in rows.items():
    low = "-us" in test
    med = {n: statistics.median(by[n].values()) for n in ("corio-1", "corio-2", "tokio-mt2")}
    print(f"| {test:<18} | {med['corio-1']:>9.1f} | {med['corio-2']:>9.1f} | "
          f"{med['tokio-mt2']:>9.1f} | {ratio(by, 'corio-2', 'corio-1', low):<20} | "
          f"{ratio(by, 'corio-2', 'tokio-mt2', low):<20} |")
EOF

#!/usr/bin/env bash
# Time ratios corio/hand-written of the generators bench, made robust to code placement.
#
# A loop's time moves by up to a third with where the linker puts it (its offset in a 64-byte
# line, which branches alias), for the hand-written peers as much as for corio (README
# "Performance"). So one binary's ratio says little. This script links the same bench (the
# same machine code in every function) in several function orders (lld's
# `--shuffle-sections`, one seed per build; each contender's timing loop is a function of its
# own), runs every build pinned to one CPU, interleaved, and prints for each row the median
# and the range of corio/hand over the builds. Two more builds are shown beside it, not in
# the median: `default` (the plain `cargo bench` link order) and `aligned` (every function
# and every loop on a 64-byte boundary: `-align-all-functions=6 -align-loops=64`).
#
# Run: runtime/benches/placements.sh [ROW...]
#   (rows: counter fib tokens spans spans-count spans-fn dyn; the default is all of them)
# Env: PLACEMENTS (shuffled builds, default 8), ROUNDS (runs of each build, default 3),
#   CORIO_BENCH_N (yields per run, default 30,000,000), CPU (the CPU to pin to, default 1).
# The defaults take about 2 minutes on a quiet machine (builds: a few seconds each, the
# dependencies once). Times under load are preliminary; the ratios hold better than the ns.
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_INCREMENTAL=0
placements=${PLACEMENTS:-8}
rounds=${ROUNDS:-3}
n=${CORIO_BENCH_N:-30000000}
cpu=${CPU:-1}
rows=("$@")
[ ${#rows[@]} -gt 0 ] || rows=(counter fib tokens spans spans-count spans-fn dyn)
labels=()
for row in "${rows[@]}"; do
    labels+=("$row/hand" "$row/corio")
    [ "$row" != dyn ] || labels+=(dyn/tagged)
done
only=$(IFS=,; echo "${labels[*]}")

dir=target/placements
rm -rf "$dir"
mkdir -p "$dir"
build() { # name [rustc flags...]: builds the bench with those flags into $dir/name
    local name=$1 exe
    shift
    exe=$(cargo rustc --profile bench -p corio --bench generators --message-format=json \
        -- "$@" 2>/dev/null | sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -1)
    [ -n "$exe" ] || { echo "build $name failed" >&2; exit 1; }
    cp "$exe" "$dir/$name"
}
echo "building: default, aligned, $placements shuffled link orders" >&2
build default
build aligned -C llvm-args=-align-all-functions=6 -C llvm-args=-align-loops=64
builds=(default aligned)
for seed in $(seq 1 "$placements"); do
    build "seed$seed" -C "link-arg=-Wl,--shuffle-sections=.text.*=$seed"
    builds+=("seed$seed")
done

echo "running: $rounds rounds x ${#builds[@]} builds, N=$n, pinned to CPU $cpu" >&2
raw=$dir/raw.txt
for round in $(seq 1 "$rounds"); do
    for b in "${builds[@]}"; do
        CORIO_BENCH_RAW=1 CORIO_BENCH_ONLY=$only CORIO_BENCH_N=$n CORIO_BENCH_REPS=3 \
            taskset -c "$cpu" "$dir/$b" | sed -n "s/^raw /$b /p" >>"$raw"
    done
done

python3 - "$raw" "${rows[@]}" <<'EOF'
import statistics, sys
raw, rows = sys.argv[1], sys.argv[2:]
runs = {}  # (build, label) -> [ns of each round]
for line in open(raw):
    b, label, ns = line.split()
    runs.setdefault((b, label), []).append(float(ns))
best = {k: min(v) for k, v in runs.items()}
builds = sorted({b for b, _ in best})
seeds = [b for b in builds if b.startswith("seed")]
def ratio(b, row, num="corio"):
    return best[b, f"{row}/{num}"] / best[b, f"{row}/hand"]
def noise(b, row, num):
    # the same build's ratio from round to round: what the load, not the placement, moves
    rs = [c / h for c, h in zip(runs[b, f"{row}/{num}"], runs[b, f"{row}/hand"])]
    return max(rs) / min(rs) - 1
print(f"corio/hand over {len(seeds)} link orders (each build: best of its rounds); "
      "noise: the median build's round-to-round spread")
print(f"{'row':<12} {'hand ns':>8} {'corio ns':>9} {'median':>7} {'range':>12} "
      f"{'noise':>6} {'default':>8} {'aligned':>8}")
lines = [(row, "corio") for row in rows] + ([("dyn", "tagged")] if "dyn" in rows else [])
for row, num in lines:
    rs = sorted(ratio(b, row, num) for b in seeds)
    name = row if num == "corio" else "dyn tagged"
    hand = statistics.median(best[b, f"{row}/hand"] for b in seeds)
    mine = statistics.median(best[b, f"{row}/{num}"] for b in seeds)
    spread = statistics.median(noise(b, row, num) for b in builds)
    print(f"{name:<12} {hand:>8.2f} {mine:>9.2f} {statistics.median(rs):>6.2f}x "
          f"{rs[0]:>5.2f}-{rs[-1]:.2f}x {spread:>5.0%} {ratio('default', row, num):>7.2f}x "
          f"{ratio('aligned', row, num):>7.2f}x")
EOF

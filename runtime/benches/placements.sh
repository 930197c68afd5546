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
# Env: PLACEMENTS (shuffled builds, default 12), ROUNDS (runs of each build, default 21),
#   CORIO_BENCH_N (yields per run, default 10,000,000), CPU (the CPU to pin to, default 1).
# The table is printed twice, as text and as README's Markdown table; then the default
# build's own table (every contender: genawaiter, the async block). The defaults take about 80 s (builds: a few seconds each once the dependencies are
# built; then 294 runs of a fifth of a second). On a loaded machine the times are
# preliminary; the ratios hold better than the ns: each run times hand and corio once, a few
# ms apart, in thread CPU time, and a build's ratio is the median of its runs' ratios (a busy
# neighbour on the other CPU can halve a 1-cycle loop's speed for tens of ms).
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_INCREMENTAL=0
placements=${PLACEMENTS:-12}
rounds=${ROUNDS:-21}
n=${CORIO_BENCH_N:-10000000}
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
        CORIO_BENCH_RAW=1 CORIO_BENCH_ONLY=$only CORIO_BENCH_N=$n CORIO_BENCH_REPS=1 \
            taskset -c "$cpu" "$dir/$b" | sed -n "s/^raw /$b /p" >>"$raw"
    done
done

python3 - "$raw" "${rows[@]}" <<'EOF'
import statistics, sys
raw, rows = sys.argv[1], sys.argv[2:]
runs = {}  # (build, label) -> [ns of each round, in round order]
for line in open(raw):
    b, label, ns = line.split()
    runs.setdefault((b, label), []).append(float(ns))
builds = sorted({b for b, _ in runs})
seeds = [b for b in builds if b.startswith("seed")]
def ratios(b, row, num):
    # corio/hand of each run: the two ran in the same process a few ms apart, so they saw the
    # same machine (a loaded neighbour can halve a loop's speed for a whole run)
    return [c / h for c, h in zip(runs[b, f"{row}/{num}"], runs[b, f"{row}/hand"])]
def ratio(b, row, num):
    return statistics.median(ratios(b, row, num))
def noise(b, row, num):
    # the interquartile range of the build's run ratios, relative to their median
    q = statistics.quantiles(ratios(b, row, num), n=4)
    return (q[2] - q[0]) / q[1]
print(f"corio/hand over {len(seeds)} link orders; a build's ratio is the median of its "
      f"{len(runs[builds[0], rows[0] + '/hand'])} runs")
print(f"{'row':<12} {'hand ns':>8} {'corio ns':>9} {'median':>7} {'range':>12} {'>1.1x':>6} "
      f"{'noise':>6} {'default':>8} {'aligned':>8}")
lines = [(row, "corio") for row in rows] + ([("dyn", "tagged")] if "dyn" in rows else [])
for row, num in lines:
    rs = sorted(ratio(b, row, num) for b in seeds)
    name = row if num == "corio" else "dyn tagged"
    hand = statistics.median(min(runs[b, f"{row}/hand"]) for b in seeds)
    mine = statistics.median(min(runs[b, f"{row}/{num}"]) for b in seeds)
    above = sum(r > 1.1 for r in rs)
    spread = statistics.median(noise(b, row, num) for b in builds)
    print(f"{name:<12} {hand:>8.2f} {mine:>9.2f} {statistics.median(rs):>6.2f}x "
          f"{rs[0]:>5.2f}-{rs[-1]:.2f}x {above:>3}/{len(rs):<2} {spread:>5.0%} "
          f"{ratio('default', row, num):>7.2f}x {ratio('aligned', row, num):>7.2f}x")
names = {"counter": "counter", "fib": "Fibonacci", "tokens": "tokenizer over `&str` (per token)",
         "spans": "byte spans of issue 20 (per span)",
         "spans-count": "byte spans, consumer `.count()`",
         "spans-fn": "byte spans, summed in an `#[inline(never)]` fn",
         "dyn": "counter behind `Box<dyn Iterator>`",
         "dyn tagged": "hand-written with a state tag, `Box<dyn>`"}
md = [f"| corio/hand, time | hand ns | corio ns | median of {len(seeds)} orders | range | "
      "orders > 1.1x | `default` | `aligned` |", "|---|---|---|---|---|---|---|---|"]
for row, num in lines:
    rs = sorted(ratio(b, row, num) for b in seeds)
    name = row if num == "corio" else "dyn tagged"
    hand = statistics.median(min(runs[b, f"{row}/hand"]) for b in seeds)
    mine = statistics.median(min(runs[b, f"{row}/{num}"]) for b in seeds)
    md.append(f"| {names[name]} | {hand:.2f} | {mine:.2f} | {statistics.median(rs):.2f}x | "
              f"{rs[0]:.2f}-{rs[-1]:.2f}x | {sum(r > 1.1 for r in rs)}/{len(rs)} | "
              f"{ratio('default', row, num):.2f}x | {ratio('aligned', row, num):.2f}x |")
print("ns: the median build's fastest run; >1.1x: builds whose ratio is above 1.1x; noise: the "
      "median build's interquartile range of its runs' ratios (the load, not the placement)")
print()
print("the same, as README \"Performance\" shows it:")
print("\n".join(md))
EOF
echo
echo "the default build, every contender (cargo bench's own table; N=$n, best of 5, CPU $cpu):"
CORIO_BENCH_N=$n taskset -c "$cpu" "$dir/default"

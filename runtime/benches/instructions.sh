#!/usr/bin/env bash
# Instructions per item of the generators bench's contenders, a measure the machine's load
# does not change: each contender runs alone (`CORIO_BENCH_ONLY`) under cachegrind with
# REPS=1 and REPS=3 passes, and the difference of the two counts, divided by the items of two
# passes, leaves out the setup (building the text, the binary's start).
#
# Run: runtime/benches/instructions.sh [ROW...]
#   (rows: counter fib tokens spans spans-count spans-fn dyn; the default is all of them)
# Needs valgrind. CORIO_BENCH_N (default 1,000,000) sets the yields per pass.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${CORIO_BENCH_N:-1000000}
bin=$(cargo bench -p corio --bench generators --no-run --message-format=json 2>/dev/null |
    sed -n 's/.*"executable":"\([^"]*generators-[^"]*\)".*/\1/p' | tail -1)
count() { # label reps -> instructions
    CORIO_BENCH_CLOCK=wall CORIO_BENCH_N=$n CORIO_BENCH_ONLY=$1 CORIO_BENCH_REPS=$2 valgrind --tool=cachegrind \
        --cache-sim=no --cachegrind-out-file=/dev/null "$bin" 2>&1 >/dev/null |
        sed -n 's/.*I *refs: *\([0-9,]*\).*/\1/p' | tr -d ,
}
per_item() { # label items -> instructions per item
    local one three
    one=$(count "$1" 1)
    three=$(count "$1" 3)
    echo "scale=2; ($three - $one) / (2 * $2)" | bc
}
rows=("$@")
[ ${#rows[@]} -gt 0 ] || rows=(counter fib tokens spans spans-count spans-fn dyn)
printf '%-12s %10s %10s %10s\n' "instr/item" hand corio corio/hand
for row in "${rows[@]}"; do
    case $row in
        tokens | spans | spans-count | spans-fn) items=$((n / 50)) ;;
        *) items=$n ;;
    esac
    hand=$(per_item "$row/hand" "$items")
    corio=$(per_item "$row/corio" "$items")
    printf '%-12s %10s %10s %9.2fx\n' "$row" "$hand" "$corio" "$(echo "scale=4; $corio / $hand" | bc)"
done

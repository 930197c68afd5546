#!/usr/bin/env bash
# Instructions per item of the generators bench's contenders, a measure the machine's load
# does not change: each contender runs alone (`CORIO_BENCH_ONLY`) under cachegrind with
# REPS=1 and REPS=3 passes, and the difference of the two counts, divided by the items of two
# passes, leaves out the setup (building the text, the binary's start).
#
# Run: runtime/benches/instructions.sh [ROW...]
#   (rows: counter fib tokens spans spans-count spans-fn dyn, the default; and the async_fns
#   bench's async-ready async-held async-pending, corio against rustc's own `async fn`)
# Needs valgrind. CORIO_BENCH_N (default 1,000,000) sets the yields per pass.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${CORIO_BENCH_N:-1000000}
bench_bin() { # bench name -> its executable
    cargo bench -p corio --bench "$1" --no-run --message-format=json 2>/dev/null |
        sed -n "s/.*\"executable\":\"\([^\"]*$1-[^\"]*\)\".*/\1/p" | tail -1
}
gen_bin=$(bench_bin generators)
async_bin=$(bench_bin async_fns)
bin=$gen_bin
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
printf '%-14s %10s %10s %10s\n' "instr/item" peer corio corio/peer
for row in "${rows[@]}"; do
    bin=$gen_bin peer=hand label=$row
    case $row in
        tokens | spans | spans-count | spans-fn) items=$((n / 50)) ;;
        async-ready) bin=$async_bin peer=rustc label=ready items=$n ;;
        async-held | async-pending) bin=$async_bin peer=rustc label=${row#async-} items=$((n / 10)) ;;
        *) items=$n ;;
    esac
    hand=$(per_item "$label/$peer" "$items")
    corio=$(per_item "$label/corio" "$items")
    printf '%-14s %10s %10s %9.2fx\n' "$row" "$hand" "$corio" "$(echo "scale=4; $corio / $hand" | bc)"
done

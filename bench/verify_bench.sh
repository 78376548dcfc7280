#!/usr/bin/env bash
# @brief Whole-process benchmark of `flowlab verify` on flowlab CSV: N truth records against the
# same records as collected data (in order, and optionally shuffled), with wall time, CPU time,
# records/s and peak RSS from /usr/bin/time -v.
#
# usage: bench/verify_bench.sh [BUILD_DIR] [RECORDS] [--shuffled]
#   BUILD_DIR defaults to build, RECORDS to 10000000. The input (about 166 bytes a record) is
#   generated once by flowlab_make_records into ${TMPDIR:-/tmp}/flowlab-verify-bench and read
#   once before timing, so the page cache holds it: the benchmark measures verify, not the disk.
set -euo pipefail
BUILD=${1:-build}
N=${2:-10000000}
SHUFFLED=${3:-}
source "$(dirname "$0")/preamble.sh"
bench_init verify_bench
bench_need_built "$BUILD" app/flowlab bench/flowlab_make_records
bench_need_tools /usr/bin/time awk sort
W=${TMPDIR:-/tmp}/flowlab-verify-bench
mkdir -p "$W/gen/truth"
if [ "$(cat "$W/records" 2>/dev/null || true)" != "$N" ]; then
    "$BUILD/bench/flowlab_make_records" "$N" "$W/gen/truth/records.csv" 1
    rm -f "$W/shuffled.csv"
    echo "$N" >"$W/records"
fi
COLLECTED="$W/gen/truth/records.csv"
if [ "$SHUFFLED" = "--shuffled" ]; then
    if [ ! -f "$W/shuffled.csv" ]; then
        # Same records, another order (a collector that stores by hash, like pmacct): every
        # record then goes through the hash index instead of the in-order fast path.
        # Deterministic: awk's generator with a fixed seed draws the sort keys.
        { head -n 1 "$COLLECTED"; tail -n +2 "$COLLECTED" | awk 'BEGIN { srand(1) } { printf "%.12f\t%s\n", rand(), $0 }' |
              sort -S 1G -k1,1 | cut -f2-; } >"$W/shuffled.csv"
    fi
    COLLECTED="$W/shuffled.csv"
fi
cat "$W/gen/truth/records.csv" "$COLLECTED" >/dev/null
/usr/bin/time -v "$BUILD/app/flowlab" verify --truth "$W/gen" --collected "flowlab:$COLLECTED" -q 2>"$W/time.txt" | tee "$W/verdict.txt"
awk -v n="$N" '
    /Elapsed \(wall clock\)/ { t = $NF; k = split(t, p, ":"); s = 0; for (i = 1; i <= k; i++) s = s * 60 + p[i] }
    /User time/ { u = $NF }
    /System time/ { y = $NF }
    /Maximum resident set size/ { rss = $NF }
    END {
        printf "records %d  wall %.2f s  %.2f M records/s  cpu %.2f s (user %.2f, sys %.2f)  peak RSS %.0f MB\n",
               n, s, n / s / 1e6, u + y, u, y, rss / 1024
    }' "$W/time.txt"

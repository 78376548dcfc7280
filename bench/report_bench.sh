#!/bin/sh
# @brief Whole-process benchmark of `flowlab report`: the two-week trading-floor lesson (the gen
# output, as a student gets it) and N synthetic records (flowlab CSV), with wall time, records/s,
# peak RSS (/usr/bin/time -v) and the page's size. The aggregation streams, so the peak RSS should
# follow the slots and top-N candidates, not the records: compare the two lines.
#
# usage: bench/report_bench.sh [BUILD_DIR] [RECORDS]
#   BUILD_DIR defaults to build, RECORDS to 1000000 (10M takes about 70 s: see
#   README, Performance). Inputs are made once under
#   ${TMPDIR:-/tmp}/flowlab-report-bench (the records by flowlab_make_records, about 166 bytes a
#   record) and read once before timing, so the page cache holds them.
set -eu
BUILD=${1:-build}
N=${2:-1000000}
W=${TMPDIR:-/tmp}/flowlab-report-bench
mkdir -p "$W"
if [ ! -f "$W/trading-floor/manifest.json" ]; then
    FLOWLAB_SCENARIOS=${FLOWLAB_SCENARIOS:-$(dirname "$0")/../scenarios} \
        "$BUILD/app/flowlab" gen trading-floor -o "$W/trading-floor" --no-progress 2>/dev/null
fi
if [ "$(cat "$W/records" 2>/dev/null || true)" != "$N" ]; then
    "$BUILD/bench/flowlab_make_records" "$N" "$W/records.csv" 1
    echo "$N" >"$W/records"
fi

# run LABEL RECORDS ARGS...: one timed report.
run() {
    label=$1 n=$2
    shift 2
    /usr/bin/time -v "$BUILD/app/flowlab" report "$@" -o "$W/$label.html" -q --no-progress 2>"$W/time.txt"
    size=$(stat -c %s "$W/$label.html")
    awk -v label="$label" -v n="$n" -v size="$size" '
        /Elapsed \(wall clock\)/ { t = $NF; k = split(t, p, ":"); s = 0; for (i = 1; i <= k; i++) s = s * 60 + p[i] }
        /Maximum resident set size/ { rss = $NF }
        END {
            printf "%-16s records %9d  wall %6.2f s  %5.2f M records/s  peak RSS %4.0f MB  page %.2f MB\n",
                   label, n, s, n / s / 1e6, rss / 1024, size / 1e6
        }' "$W/time.txt"
}

tf=$(($(wc -l <"$W/trading-floor/truth/records.csv") - 1))
cat "$W/trading-floor/truth/records.csv" "$W/records.csv" >/dev/null
run trading-floor "$tf" "$W/trading-floor"
run records "$N" --collected "flowlab:$W/records.csv"

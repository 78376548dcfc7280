#!/usr/bin/env bash
# Whole-process throughput and peak memory of `flowlab gen`, at several -j side by side.
#
#   [JOBS="1 2"] [REPEAT=3] bench/gen_bench.sh BUILD_DIR [SCENARIO] [DURATION] [SCALE]
#
# Runs `flowlab gen SCENARIO --duration DURATION --scale SCALE -j N` into a temporary directory
# under GNU time for each N in JOBS, REPEAT times in turn (N=1, N=2, N=1, ...), and prints per N
# the run of median wall time: records/s (wall clock, whole process: traffic models, flow caches,
# encoding, pcap and CSV writing, hashing), CPU time and peak resident set size, plus the load
# average before the first run. Every N must give the same files (checked by their SHA-256 in
# manifest.json). Defaults: the trading-floor scenario over 30 days, scale 1, JOBS="1 2", REPEAT=3.
#
# BASELINE=/path/to/an/older/flowlab also runs that binary, interleaved with the build's (old -j 1,
# new -j 1, old -j 2, ...), so both see the same load; its rows come first, marked "old", and its
# files must be the same as the build's.
set -euo pipefail
build=${1:?usage: [JOBS="1 2"] [REPEAT=3] gen_bench.sh BUILD_DIR [SCENARIO] [DURATION] [SCALE]}
scenario=${2:-trading-floor}
duration=${3:-30d}
scale=${4:-1}
jobs_list=${JOBS:-1 2}
repeat=${REPEAT:-3}
flowlab="$build/app/flowlab"
source "$(dirname "$0")/preamble.sh"
bench_init gen_bench
bench_need_built "$build" app/flowlab
bench_need_tools /usr/bin/time python3
bench_workdir
out=$bench_dir
binaries=(new)
if [[ -n ${BASELINE:-} ]]; then
  [[ -x $BASELINE ]] || bench_fail "BASELINE=$BASELINE is not an executable"
  binaries=(old new)
fi

load=$(cut -d' ' -f1-3 /proc/loadavg)
for ((r = 0; r < repeat; r++)); do
  for j in $jobs_list; do
    for b in "${binaries[@]}"; do
      bin=$flowlab
      [[ $b == old ]] && bin=$BASELINE
      bench_timed "$out/time-$b-$j-$r" \
        "$bin" gen "$scenario" -o "$out/gen" --duration "$duration" --scale "$scale" -j "$j" 2> "$out/stderr" ||
        bench_fail "$b gen -j $j failed: $(tail -n 3 "$out/stderr")"
      cp "$out/gen/manifest.json" "$out/manifest-$b-$j-$r.json"
      du -sb "$out/gen" | cut -f1 > "$out/bytes"
    done
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
python3 - "$out" "$scenario" "$duration" "$scale" "$repeat" "$load" "$load_after" "${binaries[*]}" $jobs_list <<'PY'
import json, statistics, sys
out, scenario, duration, scale, repeat, load, load_after, binaries, *jobs = sys.argv[1:]
repeat = int(repeat)
binaries = binaries.split()
size = int(open(f"{out}/bytes").read())
files = None
rows = []
for b in binaries:
    for j in jobs:
        runs = []
        for r in range(repeat):
            wall, rss_kb, user, sys_ = open(f"{out}/time-{b}-{j}-{r}").read().split()
            m = json.load(open(f"{out}/manifest-{b}-{j}-{r}.json"))
            if files is None:
                files = m["files"]
            elif m["files"] != files:
                sys.exit(f"gen_bench: {b} -j {j} wrote other files than {binaries[0]} -j {jobs[0]}")
            runs.append((float(wall), float(user) + float(sys_), int(rss_kb), m["counts"]))
        runs.sort(key=lambda x: x[0])
        rows.append((b, j, runs[len(runs) // 2], [x[0] for x in runs]))
print(f"flowlab gen {scenario} --duration {duration} --scale {scale} -j N (median of {repeat}; load before: {load}, after: {load_after})")
print("| binary | -j | records | conversations | wall s (all runs) | records/s | CPU s (user+sys) | records/s of CPU | peak RSS | output |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
base = None
for b, j, (wall, cpu, rss_kb, counts), walls in rows:
    records = counts["records"]
    base = base or records / wall
    print(f"| {b} | {j} | {records:,} | {counts['conversations']:,} | {wall:.2f} ({', '.join(f'{w:.2f}' for w in walls)}) | "
          f"{records / wall:,.0f} ({records / wall / base:.2f}x) | {cpu:.2f} | {records / cpu:,.0f} | {rss_kb / 1024:.0f} MB | {size / 1e9:.2f} GB |")
print(f"same files (SHA-256) for every -j{' and both binaries' if len(binaries) > 1 else ''}: yes")
PY

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

load=$(cut -d' ' -f1-3 /proc/loadavg)
for ((r = 0; r < repeat; r++)); do
  for j in $jobs_list; do
    bench_timed "$out/time-$j-$r" \
      "$flowlab" gen "$scenario" -o "$out/gen" --duration "$duration" --scale "$scale" -j "$j" 2> "$out/stderr" ||
      bench_fail "gen -j $j failed: $(tail -n 3 "$out/stderr")"
    cp "$out/gen/manifest.json" "$out/manifest-$j-$r.json"
    du -sb "$out/gen" | cut -f1 > "$out/bytes"
  done
done
python3 - "$out" "$scenario" "$duration" "$scale" "$repeat" "$load" $jobs_list <<'PY'
import json, statistics, sys
out, scenario, duration, scale, repeat, load, *jobs = sys.argv[1:]
repeat = int(repeat)
size = int(open(f"{out}/bytes").read())
files = None
rows = []
for j in jobs:
    runs = []
    for r in range(repeat):
        wall, rss_kb, user, sys_ = open(f"{out}/time-{j}-{r}").read().split()
        m = json.load(open(f"{out}/manifest-{j}-{r}.json"))
        if files is None:
            files = m["files"]
        elif m["files"] != files:
            sys.exit(f"gen_bench: -j {j} wrote other files than -j {jobs[0]}")
        runs.append((float(wall), float(user) + float(sys_), int(rss_kb), m["counts"]))
    runs.sort(key=lambda x: x[0])
    rows.append((j, runs[len(runs) // 2], [x[0] for x in runs]))
print(f"flowlab gen {scenario} --duration {duration} --scale {scale} -j N (median of {repeat}; load before: {load})")
print("| -j | records | conversations | wall s (all runs) | records/s | CPU s (user+sys) | peak RSS | output |")
print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
base = None
for j, (wall, cpu, rss_kb, counts), walls in rows:
    records = counts["records"]
    base = base or records / wall
    print(f"| {j} | {records:,} | {counts['conversations']:,} | {wall:.2f} ({', '.join(f'{w:.2f}' for w in walls)}) | "
          f"{records / wall:,.0f} ({records / wall / base:.2f}x) | {cpu:.2f} | {rss_kb / 1024:.0f} MB | {size / 1e9:.2f} GB |")
print("same files (SHA-256) for every -j: yes")
PY

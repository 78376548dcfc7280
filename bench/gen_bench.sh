#!/usr/bin/env bash
# Whole-process throughput and peak memory of `flowlab gen`.
#
#   bench/gen_bench.sh BUILD_DIR [SCENARIO] [DURATION] [SCALE]
#
# Runs `flowlab gen SCENARIO --duration DURATION --scale SCALE` into a temporary directory under
# GNU time and prints records/s (wall clock, whole process: traffic models, flow caches,
# encoding, pcap and CSV writing, hashing) and the peak resident set size. Defaults: the
# trading-floor scenario over 30 days, scale 1.
set -euo pipefail
build=${1:?usage: gen_bench.sh BUILD_DIR [SCENARIO] [DURATION] [SCALE]}
scenario=${2:-trading-floor}
duration=${3:-30d}
scale=${4:-1}
flowlab="$build/app/flowlab"
source "$(dirname "$0")/preamble.sh"
bench_init gen_bench
bench_need_built "$build" app/flowlab
bench_need_tools /usr/bin/time python3
bench_workdir
out=$bench_dir

bench_timed "$out/time" \
  "$flowlab" gen "$scenario" -o "$out/gen" --duration "$duration" --scale "$scale" 2> "$out/stderr"
read -r wall rss_kb user sys < "$out/time"
records=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['counts']['records'])" "$out/gen/manifest.json")
conversations=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['counts']['conversations'])" "$out/gen/manifest.json")
bytes=$(du -sb "$out/gen" | cut -f1)
python3 - "$scenario" "$duration" "$scale" "$records" "$conversations" "$wall" "$user" "$sys" "$rss_kb" "$bytes" <<'PY'
import sys
scenario, duration, scale, records, convs, wall, user, sys_, rss_kb, size = sys.argv[1:]
records, convs, wall, user, sys_, rss_kb, size = int(records), int(convs), float(wall), float(user), float(sys_), int(rss_kb), int(size)
print(f"flowlab gen {scenario} --duration {duration} --scale {scale}")
print(f"| records | conversations | wall s | records/s | CPU s (user+sys) | peak RSS | output |")
print(f"| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
print(f"| {records:,} | {convs:,} | {wall:.2f} | {records/wall:,.0f} | {user+sys_:.2f} | {rss_kb/1024:.0f} MB | {size/1e9:.2f} GB |")
PY

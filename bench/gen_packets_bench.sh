#!/usr/bin/env bash
# Whole-process throughput of `flowlab gen --packets` and the size of packets.pcap.
#
#   bench/gen_packets_bench.sh BUILD_DIR [SCENARIO] [DURATION] [GEN_ARGS...]
#
# Runs `flowlab gen SCENARIO --duration DURATION --packets GEN_ARGS` into a temporary directory
# under GNU time and prints packets written per second (wall clock, whole process: traffic
# models, flow caches, encoding, every output including packets.pcap, hashing), the peak
# resident set size, and packets.pcap's size per million conversations. For comparison it
# runs the same without --packets first. Defaults: example-office over 2 hours.
# packets.pcap grows fast (about 9 GB per million office conversations): pick DURATION or pass
# --max-packets / --packets-per-conversation in GEN_ARGS so it fits $TMPDIR.
set -euo pipefail
build=${1:?usage: gen_packets_bench.sh BUILD_DIR [SCENARIO] [DURATION] [GEN_ARGS...]}
scenario=${2:-example-office}
duration=${3:-2h}
shift $(( $# < 3 ? $# : 3 ))
flowlab="$build/app/flowlab"
source "$(dirname "$0")/preamble.sh"
bench_init gen_packets_bench
bench_need_built "$build" app/flowlab
bench_need_tools /usr/bin/time python3
bench_workdir
out=$bench_dir

bench_timed "$out/time0" \
  "$flowlab" gen "$scenario" -o "$out/plain" --duration "$duration" 2> "$out/stderr0"
rm -rf "$out/plain"
bench_timed "$out/time" \
  "$flowlab" gen "$scenario" -o "$out/gen" --duration "$duration" --packets "$@" 2> "$out/stderr"
python3 - "$scenario" "$duration" "$out/time0" "$out/time" "$out/gen" "$*" <<'PY'
import json, os, sys
scenario, duration, t0, t1, gen, extra = sys.argv[1:]
wall0 = float(open(t0).read().split()[0])
wall, rss_kb, user, sys_ = open(t1).read().split()
wall, rss_kb, cpu = float(wall), int(rss_kb), float(user) + float(sys_)
m = json.load(open(os.path.join(gen, "manifest.json")))
packets = m["packets"]["written"]
convs = m["counts"]["conversations"]
written_convs = m["packets"]["conversations_complete"] + m["packets"]["conversations_truncated"]
size = os.path.getsize(os.path.join(gen, "packets.pcap"))
print(f"flowlab gen {scenario} --duration {duration} --packets {extra}".rstrip())
print("| conversations | packets | wall s (without --packets) | packets/s | CPU s | peak RSS | packets.pcap | per million conversations |")
print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
print(f"| {convs:,} | {packets:,} | {wall:.2f} ({wall0:.2f}) | {packets / wall:,.0f} | {cpu:.2f} | {rss_kb / 1024:.0f} MB "
      f"| {size / 1e6:,.1f} MB | {size / max(written_convs, 1) * 1e6 / 1e9:.2f} GB |")
PY

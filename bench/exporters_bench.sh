#!/usr/bin/env bash
# Many emulated exporters in one run: gen's time and peak memory per exporter, and one replay that
# sends every exporter from its own loopback address to one socket.
#
#   bench/exporters_bench.sh BUILD_DIR [EXPORTERS] [DURATION]
#
# The scenario is example-office with its edge exporter repeated EXPORTERS times (default 10000),
# each on its own address (172.16.0.0/12, RFC 1918), so every exporter observes the same
# conversations. Memory per exporter is the peak at EXPORTERS less the peak at one exporter,
# divided by EXPORTERS - 1. The replay goes to a bound socket nobody reads: what is measured is
# the sending, with --exporter-src auto and the shell's soft limit on open files (replay raises
# it to the hard limit).
set -euo pipefail
build=${1:?usage: exporters_bench.sh BUILD_DIR [EXPORTERS] [DURATION]}
exporters=${2:-10000}
duration=${3:-2m}
flowlab="$build/app/flowlab"
source "$(dirname "$0")/preamble.sh"
bench_init exporters_bench
bench_need_built "$build" app/flowlab
bench_need_tools /usr/bin/time python3
bench_workdir
out=$bench_dir

scenario() {
  python3 - "$1" "$2" "$(dirname "$0")/../scenarios/example-office.json" <<'PY'
import json, sys
count, path, source = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = json.load(open(source))
s.pop("$schema", None)
edge = s["exporters"][0]
exporters = []
for k in range(count):
    e = dict(edge)
    e["name"] = f"edge-{k}"
    e["address"] = f"172.{16 + (k >> 16)}.{(k >> 8) & 255}.{k & 255}"
    exporters.append(e)
s["exporters"] = exporters
json.dump(s, open(path, "w"))
PY
}

scenario 1 "$out/one.json"
scenario "$exporters" "$out/many.json"
bench_timed "$out/one.time" "$flowlab" gen "$out/one.json" -o "$out/one" --duration "$duration" 2> /dev/null
bench_timed "$out/many.time" "$flowlab" gen "$out/many.json" -o "$out/many" --duration "$duration" 2> "$out/gen.err"
# A bound socket that is never read: the kernel drops what overflows its buffer, silently.
python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True); time.sleep(3600)' > "$out/sink.port" &
sink=$!
bench_on_exit "kill $sink"
while [[ ! -s $out/sink.port ]]; do sleep 0.1; done
bench_timed "$out/replay.time" "$flowlab" replay "$out/many/exports.pcap" --to "127.0.0.1:$(cat "$out/sink.port")" \
  --exporter-src auto --topspeed --stats-json "$out/replay.json" 2> "$out/replay.err"
python3 - "$exporters" "$duration" "$out" <<'PY'
import json, sys
n, duration, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
def timed(name):
    wall, rss, user, sys_ = open(f"{out}/{name}.time").read().split()
    return float(wall), int(rss), float(user) + float(sys_)
_, rss_one, _ = timed("one")
wall, rss, cpu = timed("many")
m = json.load(open(f"{out}/many/manifest.json"))
records, messages = m["counts"]["records"], m["counts"]["messages"]
r_wall, _, r_cpu = timed("replay")
replay = json.load(open(f"{out}/replay.json"))
sources = {s["local"].rsplit(":", 1)[0] for s in replay["sources"]}
print(f"example-office's edge x {n:,} exporters, {duration}")
print("| exporters | records | gen wall s | gen CPU s | gen peak RSS | memory per exporter | replay wall s | datagrams | source addresses |")
print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
per = (rss - rss_one) * 1024 / max(1, n - 1)
print(f"| {n:,} | {records:,} | {wall:.1f} | {cpu:.1f} | {rss/1024:.0f} MB | {per/1024:.1f} KiB | {r_wall:.1f} | {replay['packets']:,} | {len(sources):,} |")
PY

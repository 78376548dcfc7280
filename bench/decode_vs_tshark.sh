#!/usr/bin/env bash
# @brief Decode throughput of the whole `flowlab decode` process against `tshark -T fields` on
# the same capture of IPFIX records, measured in one run, plus the codec kernels from Google
# Benchmark (flowlab_bench_core).
#
# usage: bench/decode_vs_tshark.sh [BUILD_DIR] [RECORDS | SCENARIO]
#   BUILD_DIR  a built flowlab tree (default: build); needs app/flowlab, bench/flowlab_make_exports
#              and bench/flowlab_bench_core
#   RECORDS    IPFIX records in a capture of one template (default 1000000), or
#   SCENARIO   a canned scenario whose exports.pcap `flowlab gen` writes, e.g. example-office
#              (1.44M records, NetFlow v9 and IPFIX, IPv4 and IPv6)
# environment:
#   FLOWLAB_BENCH_PCAP  capture to use; written by flowlab_make_exports if it does not exist
#                       (default: a temporary file, removed at the end)
#   REPEAT              flowlab runs; the fastest counts (default 3). tshark runs once.
#   DIALECT             with SCENARIO: every exporter in this dialect (gen --dialect NAME or FILE),
#                       e.g. cisco-iosxr-ipfix (sampling resolved from options records) or
#                       bench/dialects/iosxr-ipfix-tunnels.json (that, plus repeated elements)
#
# What is timed: each tool as a whole process, reading the pcap and writing every record to
# /dev/null: flowlab as CSV (all columns), tshark as -T fields with the cflow fields of the same
# columns (-E occurrence=a, one line per packet). Wall-clock and CPU (user + system, GNU time)
# are both reported; on a shared machine the CPU figures are the steadier ones. Prints records/s
# for each tool and the ratios (target: flowlab at least 20x faster).
set -euo pipefail

build=${1:-build}
source=${2:-1000000}
repeat=${REPEAT:-3}
flowlab="$build/app/flowlab"
make_exports="$build/bench/flowlab_make_exports"
bench_core="$build/bench/flowlab_bench_core"
source "$(dirname "$0")/preamble.sh"
bench_init decode_vs_tshark
bench_need_built "$build" app/flowlab bench/flowlab_make_exports bench/flowlab_bench_core
bench_need_tools tshark capinfos /usr/bin/time
bench_workdir
pcap=${FLOWLAB_BENCH_PCAP:-$bench_dir/exports.pcap}
out=$bench_dir/stderr
tfile=$bench_dir/time
if [[ $source =~ ^[0-9]+$ ]]; then
    records=$source
    what="IPFIX records of one template"
    if [[ ! -s $pcap ]]; then
        "$make_exports" ipfix "$records" "$pcap" 2>/dev/null
    fi
else
    dialect_args=()
    [[ -n ${DIALECT:-} ]] && dialect_args=(--dialect "$DIALECT")
    # gen's own message names what is wrong with SCENARIO or DIALECT; show it instead of stopping silently.
    "$flowlab" gen "$source" -o "$bench_dir/gen" --no-progress "${dialect_args[@]}" 2>"$bench_dir/gen.log" ||
        bench_fail "flowlab gen $source${DIALECT:+ --dialect $DIALECT} failed: $(tail -n 3 "$bench_dir/gen.log")"
    pcap="$bench_dir/gen/exports.pcap"
    records=$(($(wc -l <"$bench_dir/gen/truth/records.csv") - 1))
    what="records of the $source scenario${DIALECT:+ in dialect $DIALECT}"
fi
packets=$(capinfos -c -M "$pcap" 2>/dev/null | awk '/Number of packets/ {print $NF}')

# Runs a command with stdout to /dev/null and stderr to $out; sets wall_ns and cpu_ns.
timed() {
    local t0 t1
    t0=$(date +%s%N)
    /usr/bin/time -f "%U %S" -o "$tfile" "$@" >/dev/null 2>"$out"
    t1=$(date +%s%N)
    wall_ns=$((t1 - t0))
    cpu_ns=$(awk '{ printf "%.0f", ($1 + $2) * 1e9 }' "$tfile")
}

# flowlab: best of $repeat by wall time, and its own count of what it decoded.
flowlab_ns=0
flowlab_cpu=0
for ((i = 0; i < repeat; i++)); do
    timed "$flowlab" decode "$pcap" -f csv
    if ((flowlab_ns == 0 || wall_ns < flowlab_ns)); then
        flowlab_ns=$wall_ns
        flowlab_cpu=$cpu_ns
    fi
done
decoded=$(sed -n 's/.* \([0-9][0-9]*\) records,.*/\1/p' "$out")
if [[ $decoded != "$records" ]]; then
    echo "decode_vs_tshark: flowlab decoded ${decoded:-?} records, expected $records: $(cat "$out")" >&2
    exit 1
fi

# tshark: the cflow fields of flowlab's CSV columns.
fields=(ip.src cflow.od_id cflow.srcaddr cflow.dstaddr cflow.srcaddrv6 cflow.dstaddrv6 cflow.srcport cflow.dstport cflow.protocol cflow.tos
        cflow.tcpflags cflow.packets cflow.octets cflow.abstimestart cflow.abstimeend cflow.inputint cflow.outputint
        cflow.srcas cflow.dstas cflow.srcmask cflow.dstmask cflow.nexthop cflow.icmp_type_code_ipv4
        cflow.flow_end_reason cflow.version cflow.sequence cflow.flowset_id cflow.exporttime)
targs=()
for f in "${fields[@]}"; do targs+=(-e "$f"); done
timed env TZ=UTC tshark -r "$pcap" -T fields "${targs[@]}" -E occurrence=a -E aggregator=,
tshark_ns=$wall_ns
tshark_cpu=$cpu_ns

rate() { awk -v n="$1" -v ns="$2" 'BEGIN { printf "%.0f", (ns > 0 ? n / (ns / 1e9) : 0) }'; }
secs() { awk -v ns="$1" 'BEGIN { printf "%.3f", ns / 1e9 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }'; }
row() { printf '%-38s %8s %12s %8s %14s\n' "$@"; }

echo "capture: $records $what in $packets packets ($(du -h "$pcap" | cut -f1)); $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
row "" "wall s" "records/s" "cpu s" "records/cpu-s"
row "flowlab decode -f csv (best of $repeat)" "$(secs "$flowlab_ns")" "$(rate "$records" "$flowlab_ns")" \
    "$(secs "$flowlab_cpu")" "$(rate "$records" "$flowlab_cpu")"
row "tshark -T fields (${#fields[@]} fields)" "$(secs "$tshark_ns")" "$(rate "$records" "$tshark_ns")" \
    "$(secs "$tshark_cpu")" "$(rate "$records" "$tshark_cpu")"
echo "ratio: flowlab is $(ratio "$tshark_ns" "$flowlab_ns")x faster than tshark by wall time," \
     "$(ratio "$tshark_cpu" "$flowlab_cpu")x by CPU time (target: 20x)"
echo
echo "codec kernels (Google Benchmark, records/s; the argument is the protocol version):"
"$bench_core" --benchmark_filter='BM_(Encode|Decode)/' 2>/dev/null |
    awk '/^BM_/ { for (i = 1; i <= NF; i++) if ($i ~ /^items_per_second=/) { sub("items_per_second=", "", $i); printf "  %-16s %s\n", $1, $i } }'

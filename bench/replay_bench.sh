#!/usr/bin/env bash
# @brief flowlab replay against the physical limit (a minimal sendmmsg loop) and tcpreplay:
# same capture, same loopback port with a bound socket that does not read, one table.
#
# usage: sudo bench/replay_bench.sh [BUILD_DIR]     (env: N=100000 REPS=5 PORT=39055 SECONDS_PER_RATE=2 RATE_TABLE=1)
# RATE_TABLE=0 leaves out the fixed-rate table (topspeed only).
#
# The capture: N NetFlow v5 datagrams of 1464 bytes (30 records each) from
# flowlab_make_exports, rewritten with tcprewrite to 127.0.0.1 -> 127.0.0.1:PORT with
# all-zero MACs (lo's), so that tcpreplay's frames are accepted by the kernel too. tcpreplay
# onto lo also needs net.ipv4.conf.lo.route_localnet=1 and accept_local=1: set for the run
# and put back afterwards. Needs root (tcpreplay opens lo raw; the sysctls).
set -euo pipefail

BUILD=${1:-build}
N=${N:-100000}
REPS=${REPS:-5}
PORT=${PORT:-39055}
SECONDS_PER_RATE=${SECONDS_PER_RATE:-2}
RATE_TABLE=${RATE_TABLE:-1}
FLOWLAB=$BUILD/app/flowlab
LIMIT=$BUILD/bench/sendmmsg_limit
MAKE=$BUILD/bench/flowlab_make_exports
source "$(dirname "$0")/preamble.sh"
bench_init replay_bench
bench_need_built "$BUILD" app/flowlab bench/sendmmsg_limit bench/flowlab_make_exports
bench_need_tools tcpreplay tcprewrite python3 sysctl
[[ $(id -u) == 0 ]] || bench_fail "run as root (tcpreplay -i lo, sysctl)"

bench_workdir
WORK=$bench_dir
RX_PID=
OLD_ROUTE_LOCALNET=$(sysctl -n net.ipv4.conf.lo.route_localnet)
OLD_ACCEPT_LOCAL=$(sysctl -n net.ipv4.conf.lo.accept_local)
bench_on_exit '[[ -n $RX_PID ]] && kill "$RX_PID" 2>/dev/null'
bench_on_exit 'sysctl -qw net.ipv4.conf.lo.route_localnet="$OLD_ROUTE_LOCALNET" net.ipv4.conf.lo.accept_local="$OLD_ACCEPT_LOCAL"'


echo "capture: $N NetFlow v5 datagrams of 1464 bytes, 127.0.0.1 -> 127.0.0.1:$PORT" >&2
"$MAKE" v5 $((N * 30)) "$WORK/gen.pcap" 2>/dev/null
tcprewrite --infile="$WORK/gen.pcap" --outfile="$WORK/bench.pcap" \
    --srcipmap=0.0.0.0/0:127.0.0.1/32 --dstipmap=0.0.0.0/0:127.0.0.1/32 \
    --enet-smac=00:00:00:00:00:00 --enet-dmac=00:00:00:00:00:00 --portmap=2055:"$PORT" --fixcsum
PCAP=$WORK/bench.pcap

# The collector stand-in: bound, never reads; the kernel drops what overflows its buffer.
python3 -c "
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
s.bind(('127.0.0.1', $PORT))
time.sleep(86400)" &
RX_PID=$!
sleep 0.3
sysctl -qw net.ipv4.conf.lo.route_localnet=1 net.ipv4.conf.lo.accept_local=1

# UDP datagrams the kernel took in (InDatagrams + InErrors): proves the frames of each sender
# reached the socket layer. Machine-wide, so other loopback traffic adds in; datagrams that stay
# queued in the collector's buffer (the first few thousand of the first run) count nowhere.
udp_in() { awk '/^Udp:/ && $2 ~ /^[0-9]/ {print $2 + $4}' /proc/net/snmp; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
best() { sort -g | tail -1; }

# Each command prints "pps cpu_s": the probe its send loop's rate and CPU time (what the kernel
# can take, the capture already in memory), the others their whole process's.
limit_run() { "$LIMIT" "$PCAP" 127.0.0.1:"$PORT" 32 | awk '{print $3, $4}'; }
timed_run() {  # whole process: start, read the capture, send, exit (bash's time: no extra process)
    local t TIMEFORMAT='%3R %3U %3S'
    t=$( { time "$@" >/dev/null 2>&1; } 2>&1 )
    echo "$N $t" | awk '{printf "%.0f %.3f\n", $1 / $2, $3 + $4}'
}
flowlab_run() { timed_run "$FLOWLAB" replay "$PCAP" --to 127.0.0.1:"$PORT" --topspeed; }
tcpreplay_run() { timed_run tcpreplay -K --topspeed -i lo "$PCAP"; }
tcpreplay_own() {
    tcpreplay -K --topspeed -i lo "$PCAP" 2>&1 | awk '/Rated:/ {for (i = 1; i <= NF; i++) if ($(i+1) ~ /^pps/) print $i, "-"}'
}
flowlab_own() {
    "$FLOWLAB" replay "$PCAP" --to 127.0.0.1:"$PORT" --topspeed --stats-json "$WORK/s.json" 2>/dev/null
    python3 -c "import json; print(round(json.load(open('$WORK/s.json'))['pps']), '-')"
}

declare -A RATES CPUS DELIVERED
LAST_PPS=0
run_once() {  # key, then a command that prints "pps cpu_s"
    local key=$1 in0 in1 out pps cpu; shift
    in0=$(udp_in)
    out=$("$@")  # a failing sender stops the script (set -e)
    read -r pps cpu <<<"$out"
    in1=$(udp_in)
    RATES[$key]="${RATES[$key]:-} $pps"
    [[ $cpu == - ]] || CPUS[$key]="${CPUS[$key]:-} $cpu"
    DELIVERED[$key]=$(( ${DELIVERED[$key]:-0} + in1 - in0 ))
    LAST_PPS=$pps
}

# The ratio the target is about: flowlab's whole process against the probe, run back to back
# (a pair), the order swapped every other pair, so that load from elsewhere on the machine falls
# on both alike; the median of the pairs' ratios. The other senders run between the pairs.
echo "topspeed, $REPS pairs ..." >&2
PAIR_RATIOS=()
for rep in $(seq "$REPS"); do
    if (( rep % 2 )); then
        run_once limit limit_run; lim=$LAST_PPS
        run_once flowlab_wall flowlab_run; fl=$LAST_PPS
    else
        run_once flowlab_wall flowlab_run; fl=$LAST_PPS
        run_once limit limit_run; lim=$LAST_PPS
    fi
    PAIR_RATIOS+=("$(awk -v a="$fl" -v b="$lim" 'BEGIN {printf "%.2f", a / b}')")
    run_once tcpreplay_own tcpreplay_own
    run_once tcpreplay_wall tcpreplay_run
    run_once flowlab_own flowlab_own
done
RATIO=$(printf '%s\n' "${PAIR_RATIOS[@]}" | median)

L=$(printf '%s\n' ${RATES[limit]} | median)
LCPU=$(printf '%s\n' ${CPUS[limit]} | median)
row() {  # label, key
    local cpu=n/a
    [[ -n ${CPUS[$2]:-} ]] && cpu=$(printf '%s\n' ${CPUS[$2]} | median)
    printf '| %-64s | %10s | %10s | %7s | %7s | %9s |\n' "$1" \
        "$(printf '%s\n' ${RATES[$2]} | best)" "$(printf '%s\n' ${RATES[$2]} | median)" \
        "$(printf '%s\n' ${RATES[$2]} | median | awk -v b="$L" '{printf "%.2f", $1 / b}')" "$cpu" \
        "$(( DELIVERED[$2] / REPS ))"
}
echo
echo "## Topspeed: $N datagrams of 1464 bytes to a bound loopback socket (best and median of $REPS)"
echo
printf '| %-64s | %10s | %10s | %7s | %7s | %9s |\n' "sender" "best pps" "median pps" "/ limit" "CPU s" "UDP in/run"
printf '|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..66})" "------------" "------------" "---------" "---------" "-----------"
row "(a) limit: minimal sendmmsg loop, batch 32 (send loop only)" limit
row "(b) tcpreplay -K --topspeed -i lo (its own figure)" tcpreplay_own
row "(b) tcpreplay -K --topspeed -i lo (whole process)" tcpreplay_wall
row "(c) flowlab replay --topspeed (whole process, reading included)" flowlab_wall
row "(c) flowlab replay --topspeed (its own figure, send loop)" flowlab_own
echo
echo "\"/ limit\" and \"CPU s\" are medians (CPU: user + sys of the whole process; the limit's of its send loop)."
echo "flowlab whole process / limit, median of $REPS interleaved pairs: $RATIO (pairs: ${PAIR_RATIOS[*]});" \
    "CPU time $(printf '%s\n' ${CPUS[flowlab_wall]} | median) s against the limit's $LCPU s" \
    "($(printf '%s\n' ${CPUS[flowlab_wall]} | median | awk -v b="$LCPU" '{printf "%.2f", $1 / b}')x)"

if [[ $RATE_TABLE == 1 ]]; then
    echo
    echo "## Rate accuracy: ${SECONDS_PER_RATE} s at each rate"
    echo
    printf '| %-9s | %-28s | %12s | %8s | %14s |\n' "requested" "sender" "achieved pps" "error" "p99 lateness"
    printf '|%s|%s|%s|%s|%s|\n' "-----------" "------------------------------" "--------------" "----------" "----------------"
    for rate in 10000 100000 500000; do
        "$FLOWLAB" replay "$PCAP" --to 127.0.0.1:"$PORT" --pps "$rate" --loop 0 --duration "${SECONDS_PER_RATE}s" \
            --stats-json "$WORK/r.json" 2>/dev/null
        read -r got p99 < <(python3 -c "
import json; j = json.load(open('$WORK/r.json')); print(j['pps'], j['lateness_ns']['p99'])")
        printf '| %9s | %-28s | %12.0f | %7.2f%% | %11.1f us |\n' "$rate" "flowlab replay --pps" "$got" \
            "$(awk -v a="$got" -v r="$rate" 'BEGIN {print (a - r) / r * 100}')" "$(awk -v p="$p99" 'BEGIN {print p / 1000}')"
        limit=$((rate * SECONDS_PER_RATE))
        out=$(tcpreplay -K --pps="$rate" --loop=0 --limit="$limit" -i lo "$PCAP" 2>&1)
        got=$(echo "$out" | awk '/Actual:/ {for (i = 1; i <= NF; i++) if ($i == "in") {print $2 / $(i+1); exit}}')
        printf '| %9s | %-28s | %12.0f | %7.2f%% | %14s |\n' "$rate" "tcpreplay -K --pps" "$got" \
            "$(awk -v a="$got" -v r="$rate" 'BEGIN {print (a - r) / r * 100}')" "n/a"
    done
fi
echo
echo "machine: $(nproc) cores, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"

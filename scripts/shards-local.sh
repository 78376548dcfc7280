#!/usr/bin/env bash
# The distributed load run of deploy/kubernetes on one machine: N processes run the pod command
# (deploy/shard-run.sh) with SHARD_INDEX 0..N-1, all starting to send on the same clock tick,
# then, if COLLECTED is set, deploy/verify-run.sh merges their truth and verifies the collector.
#
#   scripts/shards-local.sh N SCENARIO HOST:PORT RESULTS [START_DELAY_S]
#
# Environment as for the two scripts (GEN_ARGS, REPLAY_ARGS, COLLECTED, VERIFY_ARGS, FLOWLAB);
# exporters are sent from distinct loopback addresses (SOURCES=loopback). START_DELAY_S (default
# 5) leaves the shards time to generate before the common start. A failed shard stops the
# others; SIGINT/SIGTERM stop every shard by PID and exit 130.
set -euo pipefail

[ $# -ge 4 ] || { echo "usage: $0 N SCENARIO HOST:PORT RESULTS [START_DELAY_S]" >&2; exit 2; }
count=$1 scenario=$2 collector=$3 results=$4 delay=${5:-5}
[[ $count =~ ^[1-9][0-9]*$ ]] || { echo "shards-local: N must be a positive number, got '$count'" >&2; exit 2; }
[[ $delay =~ ^[0-9]+$ ]] || { echo "shards-local: START_DELAY_S must be whole seconds, got '$delay'" >&2; exit 2; }
here=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$results"

# One start for every shard: an absolute time, as a Job's pods would be given.
start=$(($(date +%s) + delay))
pids=()
stop_all() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap 'stop_all; exit 130' INT TERM
for ((i = 0; i < count; i++)); do
  SHARD_INDEX=$i SHARD_COUNT=$count SCENARIO=$scenario COLLECTOR=$collector RESULTS=$results \
    START_AT=$start SOURCES=loopback "$here/deploy/shard-run.sh" &
  pids+=($!)
done
failed=0
for p in "${pids[@]}"; do
  if ! wait "$p"; then
    failed=1
    stop_all
    break
  fi
done
[ "$failed" -eq 0 ] || { echo "shards-local: a shard failed; the others were stopped" >&2; exit 2; }
echo "shards-local: $count shards sent from $(date -u -d "@$start" +%FT%TZ) to $collector; truth in $results" >&2
[ -n "${COLLECTED:-}" ] || exit 0
RESULTS=$results exec "$here/deploy/verify-run.sh"

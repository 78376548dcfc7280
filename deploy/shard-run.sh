#!/usr/bin/env bash
# One shard of a distributed load run: what each pod of deploy/kubernetes/shards-job.yaml runs,
# and what scripts/shards-local.sh runs N times on one machine.
#
#   SHARD_INDEX   this shard, 0..SHARD_COUNT-1 (default: $JOB_COMPLETION_INDEX, set by an Indexed Job)
#   SHARD_COUNT   how many shards the run has
#   SCENARIO      a canned scenario name or a scenario file
#   COLLECTOR     HOST:PORT of the collector under test
#   RESULTS       directory shared with the verify step; this shard writes RESULTS/shard-I
#   START_AT      optional: the common start (replay --start-at; ISO 8601 or epoch seconds)
#   GEN_ARGS      optional: more gen options (--duration 1h --seed 7 ...)
#   REPLAY_ARGS   optional: more replay options (--pps 50000 ...; default: the capture's timing)
#   SOURCES       optional: "loopback" sends each exporter address from 127.0.X.Y, X.Y = the
#                 index of its first exporter + 2 (distinct across the shards of one machine);
#                 default: the host's own address, as a pod has
#
# The shard is generated (gen --shard I/N), sent (replay, with its stats in replay.json for the
# exporter map), and its truth kept for `flowlab merge` in deploy/verify-run.sh.
set -euo pipefail

index=${SHARD_INDEX:-${JOB_COMPLETION_INDEX:-}}
: "${index:?SHARD_INDEX or JOB_COMPLETION_INDEX must say which shard this is}"
: "${SHARD_COUNT:?SHARD_COUNT must say how many shards the run has}"
: "${SCENARIO:?SCENARIO must name the scenario}"
: "${COLLECTOR:?COLLECTOR must be HOST:PORT of the collector under test}"
: "${RESULTS:?RESULTS must name the directory the verify step reads}"
flowlab=${FLOWLAB:-flowlab}

out="$RESULTS/shard-$index"
work="$RESULTS/.shard-$index.partial"
rm -rf "$work"
mkdir -p "$work"
child=
stop() {
  [ -n "$child" ] && kill -TERM "$child" 2>/dev/null && wait "$child" 2>/dev/null
  exit 130
}
trap stop INT TERM
# Whatever ends the script early leaves no partial shard behind.
trap 'rm -rf "$work"' EXIT

# shellcheck disable=SC2086  # GEN_ARGS and REPLAY_ARGS are option lists
"$flowlab" gen "$SCENARIO" -o "$work/gen" --shard "$index/$SHARD_COUNT" ${GEN_ARGS:-} &
child=$!
wait "$child"
child=

# The shard's truth and its replay's stats, into place for the verify step.
keep_shard() {
  mv "$work/replay.json" "$work/gen/replay.json"
  rm -rf "$out"
  mv "$work/gen" "$out"
}

# A shard without exporters (more shards than exporters) has nothing to send.
if [ "$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["exporters"]))' "$work/gen/manifest.json")" = 0 ]; then
  echo '{"transport": null, "packets": 0, "sources": [], "note": "no exporter in this shard: nothing sent"}' >"$work/replay.json"
  keep_shard
  exit 0
fi

replay=("$flowlab" replay "$work/gen/exports.pcap" --to "$COLLECTOR" --stats-json "$work/replay.json")
[ -n "${START_AT:-}" ] && replay+=(--start-at "$START_AT")
if [ "${SOURCES:-}" = loopback ]; then
  map=$(python3 - "$work/gen/manifest.json" <<'PY'
import json, sys
local = {}
for e in json.load(open(sys.argv[1]))["exporters"]:
    k = e["index"] + 2
    local.setdefault(e["address"], f"127.0.{k // 256}.{k % 256}")
print(",".join(f"{a}={l}" for a, l in local.items()))
PY
)
  [ -n "$map" ] && replay+=(--exporter-src "$map")
fi
# shellcheck disable=SC2086
"${replay[@]}" ${REPLAY_ARGS:-} &
child=$!
wait "$child"
child=

keep_shard

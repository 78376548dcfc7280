#!/usr/bin/env bash
# The verify step of a distributed load run (deploy/kubernetes/verify-job.yaml, and the last step
# of scripts/shards-local.sh): merges the shards' truth, maps the addresses each exporter was sent
# from back to the scenario's (from each shard's replay.json), and verifies what the collector
# stored.
#
#   RESULTS     the directory the shards wrote (RESULTS/shard-0 ... shard-N-1)
#   COLLECTED   what the collector stored, as verify --collected takes it (e.g. nfdump:/data)
#   VERIFY_ARGS optional: more verify options (--time-slack 1s ...)
#
# Writes RESULTS/merged (the whole run's truth) and RESULTS/report.json; exits with verify's status
# (0 match, 1 differences, 2 bad input).
set -euo pipefail

: "${RESULTS:?RESULTS must name the directory the shards wrote}"
: "${COLLECTED:?COLLECTED must say what the collector stored, e.g. nfdump:/data}"
flowlab=${FLOWLAB:-flowlab}

shards=("$RESULTS"/shard-*)
[ -e "${shards[0]}" ] || { echo "verify-run: no shards in $RESULTS" >&2; exit 2; }
"$flowlab" merge "${shards[@]}" -o "$RESULTS/merged"

# Each shard's replay says from which local address each exporter went; a pod sends all of its
# exporters from its own address, which then stands for them only when it sends one.
map=$(python3 - "${shards[@]}" <<'PY'
import json, sys
pairs = {}
for shard in sys.argv[1:]:
    for s in json.load(open(f"{shard}/replay.json"))["sources"]:
        local = s["local"].rsplit(":", 1)[0].strip("[]")
        pairs.setdefault(local, set()).add(s["exporter"])
print(",".join(f"{l}={next(iter(e))}" for l, e in sorted(pairs.items()) if len(e) == 1))
PY
)
args=("$flowlab" verify --truth "$RESULTS/merged" --collected "$COLLECTED" --report-json "$RESULTS/report.json")
[ -n "$map" ] && args+=(--exporter-map "$map")
# shellcheck disable=SC2086  # VERIFY_ARGS is an option list
exec "${args[@]}" ${VERIFY_ARGS:-}

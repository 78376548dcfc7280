#!/usr/bin/env bash
# The whole conformance matrix against flowlab's decoder and the real peers (nfcapd/nfdump,
# pmacct's nfacctd, tshark, libfixbuf's ipfixDump), each card timed. ctest runs a subset of each
# peer's card (tests/conformance/conformance_peer_test.cpp); this is the full run, minutes long,
# so it lives here. It compares each peer's card with tests/conformance/peers/NAME.json and
# exits 1 when a deviation appeared or went away; with --update it rewrites those files instead.
# It always prints the README's table of failures by case and the summary table.
#
# Usage: bench/conformance_cards.sh BUILD_DIR [--update] [OUT_DIR]
#   e.g. bench/conformance_cards.sh build            (cards kept in a temporary directory)
#        bench/conformance_cards.sh build --update /tmp/cards
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: bench/conformance_cards.sh BUILD_DIR [--update] [OUT_DIR]}
shift
update=0
if [[ ${1:-} == --update ]]; then update=1; shift; fi
out=${1:-$(mktemp -d)}
mkdir -p "$out"
flowlab="$build/app/flowlab"
source bench/preamble.sh
bench_init conformance_cards
bench_need_built "$build" app/flowlab

# name, then flowlab conformance's arguments (the jobs each card was measured with).
runs=(
  "flowlab|--decoder flowlab -j 2"
  "nfcapd|--collector nfcapd -j 8"
  "nfacctd|--collector nfacctd -j 4"
  "tshark|--decoder tshark -j 2"
  "ipfixdump|--decoder ipfixdump -j 2"
)
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores" >&2
for r in "${runs[@]}"; do
  name=${r%%|*}
  read -r -a args <<<"${r#*|}"
  start=$(date +%s.%N)
  rc=0
  "$flowlab" conformance -q "${args[@]}" --report-json "$out/$name.json" --workdir "$out/$name.work" >"$out/$name.txt" || rc=$?
  end=$(date +%s.%N)
  if ((rc != 0 && rc != 1)); then
    echo "flowlab conformance ${args[*]} exited $rc:" >&2
    cat "$out/$name.txt" >&2
    exit 3
  fi
  rm -rf "$out/$name.work"
  printf '%s\t%.0f s\t%s\t(flowlab conformance %s)\n' "$name" "$(echo "$end - $start" | bc)" \
    "$(head -1 "$out/$name.txt" | sed 's/^flowlab conformance: //')" "${args[*]}" | tee -a "$out/times.tsv" >&2
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

python3 - "$out" "$update" <<'EOF'
import json, subprocess, sys
out, update = sys.argv[1], sys.argv[2] == "1"
peers = {"nfcapd": "nfdump", "nfacctd": "pmacct", "tshark": "tshark", "ipfixdump": "libfixbuf-tools"}
shown = {"flowlab": "flowlab decode", "nfcapd": "nfcapd", "nfacctd": "nfacctd", "tshark": "tshark", "ipfixdump": "ipfixDump"}
bad = {"fail", "lost", "crash", "hang"}

def version(package):
    v = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", package], capture_output=True, text=True).stdout
    return v.split("-")[0].split("+")[0] or "?"

cards = {n: json.load(open(f"{out}/{n}.json")) for n in shown}
changed = []
for name, package in peers.items():
    card = cards[name]
    path = f"tests/conformance/peers/{name}.json"
    old = json.load(open(path))
    devs = {}
    for c in card["cases"]:
        if c["verdict"] not in bad:
            continue
        observed = c["detail"]
        if c.get("diffs"):
            d = c["diffs"][0]
            observed += f"; e.g. {d['record']} {d['field']}: expected {d['expected']}, got {d['got']}"
        # seconds: ctest's subset leaves slow cases (over 10 s) to this full run.
        devs[c["id"]] = {"verdict": c["verdict"], "title": c["title"], "rfc": c["rfc"], "observed": observed[:250],
                         "seconds": round(c.get("seconds", 0), 1)}
    for cid in sorted(set(devs) ^ set(old["deviations"]), key=lambda s: [int(x) for x in s.split(".")]):
        changed.append(f"{name} {cid}: " + (f"now {devs[cid]['verdict']}" if cid in devs else "no longer a deviation"))
    if update:
        new = {"implementation": old["implementation"],
               "measured_with": f"{package} {version(package)} (Debian 12): bench/conformance_cards.sh",
               "summary": card["summary"], "deviations": devs}
        with open(path, "w") as f:
            json.dump(new, f, indent=2)
            f.write("\n")

# The README's tables: every case some implementation does not pass, then the totals.
def mark(c):
    if c is None or c["verdict"] == "skipped":
        return "–"
    v = c["verdict"]
    return f"**{v}**" if v in bad else ("info" if v == "informational" else v)
by_id = {n: {c["id"]: c for c in card["cases"]} for n, card in cards.items()}
ids = sorted({i for n in by_id for i, c in by_id[n].items() if c["verdict"] in bad},
             key=lambda s: [int(x) for x in s.split(".")])
head = [f"{shown[n]}" + (f" {version(peers[n])}" if n in peers else "") for n in shown]
print("| case | rfc | title | " + " | ".join(head) + " |")
print("| --- | --- | --- |" + " --- |" * len(head))
for i in ids:
    any_case = next(by_id[n][i] for n in by_id if i in by_id[n])
    print(f"| {i} | {any_case['rfc']} | {any_case['title']} | " + " | ".join(mark(by_id[n].get(i)) for n in shown) + " |")
print()
print("| | " + " | ".join(head) + " |")
print("| --- |" + " ---: |" * len(head))
for v in ["pass", "fail", "lost", "crash", "hang", "informational", "skipped"]:
    print(f"| {v} | " + " | ".join(str(cards[n]["summary"].get(v, 0)) for n in shown) + " |")
if changed:
    print("\n" + ("updated: " if update else "cards differ from tests/conformance/peers: ") + "; ".join(changed), file=sys.stderr)
    sys.exit(0 if update else 1)
EOF

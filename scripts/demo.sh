#!/usr/bin/env bash
# The main job on a fresh Debian machine: installs what is needed, builds flowlab, and runs the
# trading-floor scenario end to end: two weeks of traffic generated and metered, the NetFlow v9
# exports replayed into a real nfcapd on loopback, and every record it stored verified against
# the ground truth (MATCH or DIFFERENT).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/release -j "$(nproc)" --target flowlab
build/release/app/flowlab scenarios show trading-floor
build/release/app/flowlab check trading-floor --collector nfcapd

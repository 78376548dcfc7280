#!/usr/bin/env bash
# The main job on a fresh Debian machine: installs what is needed, builds flowlab, and runs a
# canned scenario end to end. Until the collector harness lands, it decodes a sample capture
# of IPFIX exports that the build produces.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/release -j "$(nproc)" --target flowlab flowlab_make_exports
mkdir -p build/demo
build/release/bench/flowlab_make_exports ipfix 1000 build/demo/sample.pcap
build/release/app/flowlab decode build/demo/sample.pcap -o build/demo/sample.csv
head -n 4 build/demo/sample.csv

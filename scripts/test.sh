#!/usr/bin/env bash
# Sets up and runs every test: a -Werror build, an ASan+UBSan build, and bounded libFuzzer runs
# of the decoder, the scenario reader and the collector-output readers. The end-to-end tests
# start nfcapd/nfdump, nfacctd, tshark, softflowd and tcpreplay themselves on loopback (and
# network namespaces when run as root).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

jobs=$(nproc)
fuzz_seconds=${FLOWLAB_FUZZ_SECONDS:-60}
reader_fuzz_seconds=${FLOWLAB_READER_FUZZ_SECONDS:-30}

echo "== release build (-Werror)"
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFLOWLAB_WERROR=ON >/dev/null
cmake --build build/release -j "$jobs"
# Tests run two at a time: most of a peer test's time is waiting for a collector, and every
# test takes free ports and its own temporary directory, so they do not meet.
ctest --test-dir build/release --output-on-failure --timeout 900 -j "$jobs"

echo "== ASan+UBSan build"
cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DFLOWLAB_WERROR=ON -DFLOWLAB_SANITIZE=ON \
  -DFLOWLAB_BENCH=OFF >/dev/null
cmake --build build/asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build/asan --output-on-failure --timeout 1800 -j "$jobs"

echo "== fuzzing (clang libFuzzer + ASan + UBSan): decoder ${fuzz_seconds}s, scenario reader and collector-output readers ${reader_fuzz_seconds}s each"
cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ -DFLOWLAB_FUZZ=ON \
  -DFLOWLAB_SANITIZE=ON -DFLOWLAB_TESTS=OFF -DFLOWLAB_BENCH=OFF >/dev/null
cmake --build build/fuzz -j "$jobs" --target flowlab_fuzz_decoder flowlab_fuzz_scenario flowlab_fuzz_collected
rm -rf build/fuzz/corpus && cp -r fuzz/corpus build/fuzz/corpus
# Real devices' exports (tests/core/fixtures/real-exports) seed the decoder too, one input per exporter.
python3 scripts/fuzz_seeds_from_payloads.py tests/core/fixtures/real-exports/payloads build/fuzz/corpus
build/fuzz/fuzz/flowlab_fuzz_decoder -max_total_time="$fuzz_seconds" -print_final_stats=1 build/fuzz/corpus

# Seeds: the canned and the bad scenarios. -max_len: whole canned scenarios (up to ~12 kB) stay
# mutable; -timeout/-rss_limit_mb: a hostile document must be refused quickly and in bounded
# memory, like any other crash.
rm -rf build/fuzz/scenario-corpus && mkdir -p build/fuzz/scenario-corpus
cp scenarios/*.json tests/gen/bad/*.json build/fuzz/scenario-corpus/
build/fuzz/fuzz/flowlab_fuzz_scenario -max_total_time="$reader_fuzz_seconds" -max_len=16384 -timeout=10 \
  -rss_limit_mb=1024 -print_final_stats=1 build/fuzz/scenario-corpus

# Seeds: every captured collector output behind each tool byte (0-4, 255: detect the format).
rm -rf build/fuzz/collected-corpus && mkdir -p build/fuzz/collected-corpus
for f in tests/verify/fixtures/crafted/*; do
  [ "$(basename "$f")" = exports.pcap ] && continue
  for tool in 0 1 2 3 4 255; do
    { printf "\\$(printf %03o "$tool")"; head -c 8192 "$f"; } >"build/fuzz/collected-corpus/$(basename "$f").$tool"
  done
done
build/fuzz/fuzz/flowlab_fuzz_collected -max_total_time="$reader_fuzz_seconds" -max_len=16384 -timeout=10 \
  -rss_limit_mb=1024 -print_final_stats=1 build/fuzz/collected-corpus

echo "== all tests passed"

#!/usr/bin/env bash
# Sets up and runs every test: a -Werror build, an ASan+UBSan build, and a bounded libFuzzer run
# of the decoder. The end-to-end tests start nfcapd/nfdump, nfacctd, tshark, softflowd and
# tcpreplay themselves on loopback (and network namespaces when run as root).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

jobs=$(nproc)
fuzz_seconds=${FLOWLAB_FUZZ_SECONDS:-60}

echo "== release build (-Werror)"
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFLOWLAB_WERROR=ON >/dev/null
cmake --build build/release -j "$jobs"
ctest --test-dir build/release --output-on-failure --timeout 900

echo "== ASan+UBSan build"
cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DFLOWLAB_WERROR=ON -DFLOWLAB_SANITIZE=ON \
  -DFLOWLAB_BENCH=OFF >/dev/null
cmake --build build/asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build/asan --output-on-failure --timeout 1800

echo "== decoder fuzzing (${fuzz_seconds}s, clang libFuzzer + ASan + UBSan)"
cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ -DFLOWLAB_FUZZ=ON \
  -DFLOWLAB_SANITIZE=ON -DFLOWLAB_TESTS=OFF -DFLOWLAB_BENCH=OFF >/dev/null
cmake --build build/fuzz -j "$jobs" --target flowlab_fuzz_decoder
rm -rf build/fuzz/corpus && cp -r fuzz/corpus build/fuzz/corpus
build/fuzz/fuzz/flowlab_fuzz_decoder -max_total_time="$fuzz_seconds" -print_final_stats=1 build/fuzz/corpus

echo "== all tests passed"

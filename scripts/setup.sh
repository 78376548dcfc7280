#!/usr/bin/env bash
# Installs what flowlab needs to build and test on Debian 12: compilers and libraries, and the
# real peers the end-to-end tests drive (nfdump, pmacct, tshark, softflowd, tcpreplay, and
# libfixbuf's ipfixDump for the conformance cards), and for `flowlab report` Chart.js
# (libjs-chart.js, inlined into each page) and headless Chromium with a font (the report tests).
# Idempotent: packages already installed are not touched. Runs apt-get as root (sudo if needed).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config clang libclang-rt-dev
  libtins-dev libpcap-dev nlohmann-json3-dev libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev
  libssl-dev libfmt-dev libsimdjson-dev libabsl-dev
  nfdump pmacct tshark softflowd tcpreplay tcpdump iproute2 time libfixbuf-tools
  python3 python3-jsonschema python3-scapy python3-yaml
  libjs-chart.js chromium fonts-dejavu-core
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root (or sudo) to install: ${missing[*]}" >&2; exit 2; }
  as_root=(sudo)
fi
echo "setup: installing ${missing[*]}" >&2
# tshark asks whether non-root users may capture; answer before installing.
echo "wireshark-common wireshark-common/install-setuid boolean false" | "${as_root[@]}" debconf-set-selections
"${as_root[@]}" apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"

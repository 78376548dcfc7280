#!/usr/bin/env python3
"""@brief Turns a directory of raw NetFlow/IPFIX payloads into seeds for the decoder fuzzer.

usage: scripts/fuzz_seeds_from_payloads.py DIR OUTDIR

One seed per exporter (files grouped as scripts/payloads_to_pcap.py groups them, templates before
data), each datagram framed as fuzz/decoder_fuzz.cpp reads its input: a big-endian u16 whose top
two bits pick the exporter (0 here) and whose low 14 bits give the length, then the bytes. A
payload longer than 16383 bytes cannot be framed and is left out with a note on stderr.
"""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from payloads_to_pcap import group_and_rank  # noqa: E402


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.split("\n\n")[1])
    src, out = sys.argv[1], sys.argv[2]
    groups = {}
    for f in sorted(os.listdir(src)):
        if os.path.isfile(os.path.join(src, f)):
            g, rank = group_and_rank(f)
            groups.setdefault(g, []).append((rank, f))
    if not groups:
        sys.exit(f"fuzz_seeds_from_payloads: no files in {src}")
    os.makedirs(out, exist_ok=True)
    for g, files in sorted(groups.items()):
        seed = bytearray()
        for _, f in sorted(files):
            payload = open(os.path.join(src, f), "rb").read()
            if len(payload) > 0x3FFF:
                print(f"fuzz_seeds_from_payloads: {f}: {len(payload)} bytes, too long to frame; left out",
                      file=sys.stderr)
                continue
            seed += struct.pack("!H", len(payload)) + payload
        if seed:
            with open(os.path.join(out, f"real-{g}"), "wb") as o:
                o.write(seed)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""@brief Wraps a directory of raw NetFlow/IPFIX UDP payloads (one export packet per file) into a pcap.

usage: scripts/payloads_to_pcap.py DIR OUT.pcap [--port-v9 N] [--port-ipfix N] [--skip REGEX]

Files are grouped by exporter: the name up to its first "_tpl", "_opttpl", "_tplopt", "_data"
("netflow9_test_cisco_asr9k_opttpl256.dat" and "..._data260.dat" are one exporter). Each group
gets its own exporter address (192.0.2.1, .2, ... from RFC 5737) and source port, and within a
group template files go before data files, as a router sends them, so one-pass decoders (tshark)
see templates first. Packets are Ethernet/IPv4/UDP to 198.51.100.1 (RFC 5737): v5 and v9 to
port 2055, IPFIX to 4739 (the ports tshark's cflow dissector knows), one second apart per file.
Sizes above what one UDP datagram carries are refused. Prints one line per file: packet
number, exporter, file (the tests use it to name a packet).
"""
import argparse
import os
import re
import struct
import sys

SPLIT = re.compile(r"_(?:opttpl|tplopt|tpldata|tpls|tpl|data)")


def group_and_rank(name):
    stem = name[:-4] if name.endswith(".dat") else name
    m = SPLIT.search(stem)
    if not m:
        return stem, 1
    suffix = stem[m.start():]
    rank = 0 if "tpl" in suffix and "data" not in suffix else 1 if "tpl" in suffix else 2
    return stem[: m.start()], rank


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(src_ip, sport, dport, payload):
    udp_len = 8 + len(payload)
    ip_len = 20 + udp_len
    if ip_len > 65535:
        raise ValueError("payload too large for one UDP datagram")
    src = bytes(src_ip)
    dst = bytes([198, 51, 100, 1])
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, ip_len, 0, 0x4000, 64, 17, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    pseudo = src + dst + struct.pack("!BBH", 0, 17, udp_len)
    udp = struct.pack("!HHHH", sport, dport, udp_len, 0) + payload
    csum = checksum(pseudo + udp) or 0xFFFF
    udp = udp[:6] + struct.pack("!H", csum) + udp[8:]
    eth = bytes.fromhex("020000000002" "020000000001") + struct.pack("!H", 0x0800)
    return eth + ip + udp


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir")
    ap.add_argument("out")
    ap.add_argument("--port-v9", type=int, default=2055)
    ap.add_argument("--port-ipfix", type=int, default=4739)
    ap.add_argument("--skip", default="", help="regex of file names to leave out")
    a = ap.parse_args()
    files = sorted(f for f in os.listdir(a.dir) if os.path.isfile(os.path.join(a.dir, f)))
    if a.skip:
        files = [f for f in files if not re.search(a.skip, f)]
    groups = {}
    for f in files:
        g, rank = group_and_rank(f)
        groups.setdefault(g, []).append((rank, f))
    if not groups:
        sys.exit(f"payloads_to_pcap: no files in {a.dir}")
    if len(groups) > 250:
        sys.exit("payloads_to_pcap: more than 250 exporters; split the directory")
    tmp = a.out + ".tmp"
    number = 0
    with open(tmp, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        t = 1_600_000_000
        for gi, g in enumerate(sorted(groups)):
            src = [192, 0, 2, gi + 1]
            for _, f in sorted(groups[g]):
                payload = open(os.path.join(a.dir, f), "rb").read()
                if len(payload) < 2:
                    continue
                version = struct.unpack("!H", payload[:2])[0]
                dport = a.port_ipfix if version == 10 else a.port_v9
                data = frame(src, 40000 + gi, dport, payload)
                out.write(struct.pack("<IIII", t, 0, len(data), len(data)) + data)
                number += 1
                t += 1
                print(f"{number}\t192.0.2.{gi + 1}\t{f}")
    os.replace(tmp, a.out)


if __name__ == "__main__":
    main()

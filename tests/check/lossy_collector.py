#!/usr/bin/env python3
"""A stand-in collector for flowlab's capacity tests: it takes NetFlow v5 on UDP, loses every
tenth message on purpose (the 10th, 20th, ... datagram it reads), and when stopped (SIGTERM)
writes the records of the messages it kept as flowlab CSV, which `verify` reads. Its loss is
known exactly, so a capacity search must find it at every rate.

usage: lossy_collector.py ADDRESS PORT OUT.csv
"""
import os
import signal
import socket
import struct
import sys

address, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
sock.bind((address, port))
kept = []
received = 0

HEADER = struct.Struct("!HHIIIIBBH")
RECORD = struct.Struct("!4s4s4sHHIIIIHHBBBBHHBBH")


def write_and_exit(*_):
    rows = ["exporter,domain,version,sequence,src,dst,sport,dport,proto,tos,tcp_flags,packets,bytes,"
            "first_ms,last_ms,in_if,out_if,src_as,dst_as"]
    for exporter, data in kept:
        if len(data) < HEADER.size:
            continue
        version, count, uptime, secs, nsecs, seq, etype, eid, _ = HEADER.unpack_from(data)
        if version != 5:
            continue
        base = secs * 1000 + nsecs // 1_000_000 - uptime
        for i in range(count):
            off = HEADER.size + i * RECORD.size
            if off + RECORD.size > len(data):
                break
            (src, dst, _hop, in_if, out_if, pkts, octets, first, last, sport, dport, _p1, flags, proto, tos,
             src_as, dst_as, _m1, _m2, _p2) = RECORD.unpack_from(data, off)
            rows.append(",".join(str(v) for v in (
                exporter, (etype << 8) | eid, 5, seq, socket.inet_ntoa(src), socket.inet_ntoa(dst), sport, dport,
                proto, tos, flags, pkts, octets, base + first, base + last, in_if, out_if, src_as, dst_as)))
    with open(out + ".tmp", "w") as f:
        f.write("\n".join(rows) + "\n")
    os.rename(out + ".tmp", out)
    print(f"received {received} messages, kept {len(kept)}", flush=True)
    os._exit(0)


signal.signal(signal.SIGTERM, write_and_exit)
print("taking data", flush=True)
while True:
    data, (src, _) = sock.recvfrom(65535)
    received += 1
    if received % 10 != 0:
        kept.append((src, data))

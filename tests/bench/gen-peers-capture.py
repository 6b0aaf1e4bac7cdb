#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Write a capture with N simultaneously established GNS peers (`make bench`, peak RSS).

    /usr/bin/python3 tests/bench/gen-peers-capture.py OUTPUT.pcap [--peers N] [--rounds R]

Shape: N clients (default 4096) each do the full handshake on UDP 2456 within
a few seconds (ChallengeRequest 0x20 padded to 512 bytes, ChallengeReply 0x21,
ConnectRequest 0x22, ConnectOK 0x23), then R rounds (default 10, one every
200 ms) in which every client sends one data packet (first byte 0x80) and
receives one. The whole capture fits well inside the agent's 30 s peer
timeout, so at the end all N peers are in the table at once and counted as
players. gen-bench-capture.py is shaped for throughput instead: it starts one
player every 50 ms, so at 4096 players the first would time out before the
last had joined.

Written with struct, not scapy, so it takes about a second. Prints one line:
`packets=N peers=P duration_s=D`.
"""
import argparse
import struct
import sys

BASE_TIME_US = 1771092000 * 1_000_000
SERVER = bytes([192, 0, 2, 10])
GAME_PORT = 2456
SERVER_MAC = bytes.fromhex("0200c000020a")
CLIENT_MAC = bytes.fromhex("0200c0000201")


def ipv4_checksum(header):
    s = sum(struct.unpack(">10H", header))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(t_us, src, sport, dst, dport, payload):
    """One pcap record: Ethernet/IPv4/UDP around payload."""
    ip = bytearray(struct.pack(">BBHHHBBH4s4s", 0x45, 0, 28 + len(payload), 0, 0x4000, 64, 17, 0, src, dst))
    struct.pack_into(">H", ip, 10, ipv4_checksum(ip))
    macs = CLIENT_MAC + SERVER_MAC if dst == SERVER else SERVER_MAC + CLIENT_MAC
    data = macs + b"\x08\x00" + bytes(ip) + struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload
    ts = BASE_TIME_US + t_us
    return struct.pack("<IIII", ts // 1_000_000, ts % 1_000_000, len(data), len(data)) + data


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("output")
    ap.add_argument("--peers", type=int, default=4096)
    ap.add_argument("--rounds", type=int, default=10)
    args = ap.parse_args()

    # Distinct addresses: 10.x.y.z, one port each; ids derived from the index.
    peers = [(bytes([10, 1 + i // 250 // 250, 1 + i // 250 % 250, 1 + i % 250]), 40000 + i % 20000,
              0x1000_0000 + i, 0x2000_0000 + i) for i in range(args.peers)]
    records = []
    t = 0
    for ip, port, cid, sid in peers:
        ids = struct.pack("<I", cid)
        records.append(frame(t, ip, port, SERVER, GAME_PORT, b"\x20" + ids + bytes(507)))
        records.append(frame(t + 100, SERVER, GAME_PORT, ip, port, b"\x21" + ids + bytes(16)))
        records.append(frame(t + 200, ip, port, SERVER, GAME_PORT, b"\x22" + ids + bytes(180)))
        records.append(frame(t + 300, SERVER, GAME_PORT, ip, port, b"\x23" + ids + struct.pack("<I", sid) + bytes(160)))
        t += 500
    for r in range(args.rounds):
        t += 200_000
        for n, (ip, port, cid, sid) in enumerate(peers):
            at = t + n * 10
            records.append(frame(at, ip, port, SERVER, GAME_PORT, struct.pack("<BIH", 0x80, sid, r) + bytes(60)))
            records.append(frame(at + 5, SERVER, GAME_PORT, ip, port, struct.pack("<BIH", 0x80, cid, r) + bytes(200)))
        t += len(peers) * 10

    with open(args.output, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        f.write(b"".join(records))
    print(f"packets={len(records)} peers={len(peers)} duration_s={t / 1e6:.1f}")


if __name__ == "__main__":
    sys.exit(main())

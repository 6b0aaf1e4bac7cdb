#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Write a large GNS-shaped capture for the replay benchmark (`make bench`).

    /usr/bin/python3 tests/bench/gen-bench-capture.py OUTPUT.pcap [--packets N] [--players P] [--seed S]

Not committed: at a million packets the file is ~230 MB, and it is cheap to
make. Shape: P players (default 10) complete the GNS handshake, then play for
as long as it takes to reach N packets (default 1,000,000), each sending and
receiving 30 data packets a second (what a real client does); around them the
noise a public server sees: a spoofed ChallengeRequest flood (2% of the packets,
every one from a new source, so the peer table fills and evicts), A2S queries
and truncated junk. Everyone closes cleanly at the end.

Written with struct from per-flow header templates, not scapy, so a million
packets take seconds. Deterministic for a given seed. Prints one line on
stdout: `packets=N players=P duration_s=D bytes=B`.
"""
import argparse
import random
import struct
import sys

BASE_TIME_US = 1771092000 * 1_000_000
SERVER = bytes([192, 0, 2, 10])
GAME_PORT = 2456
QUERY_PORT = 2457
SERVER_MAC = bytes.fromhex("0200c000020a")
GATEWAY_MAC = bytes.fromhex("0200c0000201")
PER_PLAYER_RATE = 30          # data packets per second in each direction
A2S_REQUEST = b"\xff\xff\xff\xffTSource Engine Query\x00"


def checksum(header):
    s = sum(struct.unpack(">10H", header))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


class Writer:
    """pcap records, buffered. Ethernet/IPv4/UDP headers built from one template per length."""

    def __init__(self, f):
        self.f = f
        self.chunks = []
        self.count = 0
        self.bytes = 24
        self.ip_cache = {}
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))

    def udp(self, t_us, src, sport, dst, dport, payload):
        length = 28 + len(payload)
        key = (src, dst, length)
        ip = self.ip_cache.get(key)
        if ip is None:
            h = bytearray(struct.pack(">BBHHHBBH4s4s", 0x45, 0, length, 0, 0x4000, 64, 17, 0, src, dst))
            struct.pack_into(">H", h, 10, checksum(h))
            macs = (GATEWAY_MAC + SERVER_MAC) if dst == SERVER else (SERVER_MAC + GATEWAY_MAC)
            ip = macs + b"\x08\x00" + bytes(h)
            if len(self.ip_cache) < 200_000:
                self.ip_cache[key] = ip
        frame_len = 42 + len(payload)
        ts = BASE_TIME_US + t_us
        self.chunks.append(struct.pack("<IIII", ts // 1_000_000, ts % 1_000_000, frame_len, frame_len))
        self.chunks.append(ip)
        self.chunks.append(struct.pack(">HHHH", sport, dport, 8 + len(payload), 0))
        self.chunks.append(payload)
        self.count += 1
        self.bytes += 16 + frame_len
        if len(self.chunks) >= 40_000:
            self.flush()

    def flush(self):
        self.f.write(b"".join(self.chunks))
        self.chunks.clear()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("output")
    ap.add_argument("--packets", type=int, default=1_000_000)
    ap.add_argument("--players", type=int, default=10)
    ap.add_argument("--seed", type=int, default=2456)
    args = ap.parse_args()

    rng = random.Random(args.seed)
    pool = rng.randbytes(1 << 16)

    def blob(n):
        off = rng.randrange(0, len(pool) - n)
        return pool[off:off + n]

    players = []
    for i in range(args.players):
        ip = bytes([198, 51, 100, 1 + i % 99]) if i < 99 else bytes([203, 0, 113, 1 + i % 99])
        players.append({"ip": ip, "port": 50000 + i, "cid": rng.getrandbits(32), "sid": rng.getrandbits(32),
                        "up": 0, "down": 0})

    with open(args.output, "wb") as f:
        w = Writer(f)
        t = 0
        # Handshakes, one player every 50 ms.
        for p in players:
            ids = struct.pack("<I", p["cid"])
            w.udp(t, p["ip"], p["port"], SERVER, GAME_PORT, b"\x20" + ids + bytes(507))
            w.udp(t + 20_000, SERVER, GAME_PORT, p["ip"], p["port"], b"\x21" + ids + blob(16))
            w.udp(t + 40_000, p["ip"], p["port"], SERVER, GAME_PORT, b"\x22" + ids + blob(180))
            w.udp(t + 45_000, SERVER, GAME_PORT, p["ip"], p["port"], b"\x23" + ids + struct.pack("<I", p["sid"]) + blob(160))
            t += 50_000

        # Play: each round every player sends one and gets one; noise in between.
        step = 1_000_000 // (PER_PLAYER_RATE * 2 * max(1, len(players)))
        flood_src = 0
        close_packets = 2 * len(players)
        i = 0
        while w.count < args.packets - close_packets:
            p = players[(i // 2) % len(players)] if players else None
            t += step
            r = i % 100
            if r < 2:
                # spoofed ChallengeRequest from a never-seen source (2%)
                flood_src += 1
                src = bytes([203, 0, 113, 100 + flood_src % 150])
                w.udp(t, src, 1024 + (flood_src // 150) % 64000, SERVER, GAME_PORT, b"\x20" + blob(511))
            elif r == 50 and i % 1000 == 50:
                w.udp(t, bytes([203, 0, 113, 50]), 27005, SERVER, QUERY_PORT, A2S_REQUEST)
            elif r == 77 and i % 5000 == 77:
                w.udp(t, bytes([198, 51, 100, 250]), 40000, SERVER, GAME_PORT, blob(3))
            elif p is not None:
                if i % 2 == 0:
                    p["up"] = (p["up"] + 1) & 0xFFFF
                    w.udp(t, p["ip"], p["port"], SERVER, GAME_PORT,
                          struct.pack("<BIH", 0x80, p["sid"], p["up"]) + blob(20 + (i * 37) % 100))
                else:
                    p["down"] = (p["down"] + 1) & 0xFFFF
                    w.udp(t, SERVER, GAME_PORT, p["ip"], p["port"],
                          struct.pack("<BIH", 0x80, p["cid"], p["down"]) + blob(40 + (i * 53) % 400))
            i += 1

        for p in players:
            t += 10_000
            w.udp(t, p["ip"], p["port"], SERVER, GAME_PORT, b"\x24" + struct.pack("<II", p["sid"], 0) + bytes(503))
            w.udp(t + 5_000, SERVER, GAME_PORT, p["ip"], p["port"], b"\x25" + struct.pack("<II", p["cid"], 0))
        w.flush()

    print(f"packets={w.count} players={len(players)} duration_s={t / 1e6:.1f} bytes={w.bytes}")


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Regenerate every test capture in tests/data/ and its expected timeline.

    /usr/bin/python3 tests/data/gen-captures.py [OUTDIR]

The captures stand in for real Valheim traffic (see README.md beside this
script for what each one holds, event by event). They are generated, not
recorded, so that anyone can read here exactly what is in them and so that the
expected timelines follow from the script rather than from someone's memory.

Everything is deterministic: one fixed seed per capture, a fixed start time,
times kept as integer microseconds, and pcap/pcapng written by hand with
struct (scapy only builds the IP/UDP/TCP packets). Running the script twice
gives byte-identical files.

Each scenario says, next to the packets that cause them, which events the
agent's replay must print (`expect(...)`); those go to <name>.expected.json.
"""
import json
import pathlib
import random
import struct
import sys

from scapy.layers.inet import ICMP, IP, TCP, UDP  # python3-scapy
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Ether
from scapy.packet import Raw
from scapy.compat import raw

# Saturday 2026-02-14 18:00:00 UTC: a Valheim evening.
BASE_TIME_US = 1771092000 * 1_000_000
US = 1_000_000

SERVER4 = "192.0.2.10"
SERVER6 = "2001:db8::10"
GAME_PORT = 2456
QUERY_PORT = 2457
SERVER_MAC = "02:00:c0:00:02:0a"
GATEWAY_MAC = "02:00:c0:00:02:01"

# Link types as written in savefiles (pcap-linktype(7)).
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LINUX_SLL = 113
LINKTYPE_LINUX_SLL2 = 276

# GNS message numbers (design brief §2).
CHALLENGE_REQUEST = 0x20
CHALLENGE_REPLY = 0x21
CONNECT_REQUEST = 0x22
CONNECT_OK = 0x23
CONNECTION_CLOSED = 0x24
NO_CONNECTION = 0x25
PADDED = 512

A2S_INFO_REQUEST = b"\xff\xff\xff\xffTSource Engine Query\x00"


def sec(t):
    """Seconds (float literal in a scenario) to integer microseconds."""
    return round(t * US)


class Capture:
    """Packets of one capture (IP layer, time in us since the first packet) and the events the
    replay must print for them."""

    def __init__(self, name, seed, linktype=LINKTYPE_ETHERNET, snaplen=262144):
        self.name = name
        self.rng = random.Random(seed)
        self.linktype = linktype
        self.snaplen = snaplen
        self.packets = []     # (t_us, seq, ip_bytes, from_server)
        self.events = []
        self.players = 0
        self.game_port_datagrams = 0

    # -- packets --

    def ip(self, src, dst):
        ip_id = self.rng.randrange(0x10000)
        if ":" in src:
            return IPv6(src=src, dst=dst, hlim=64 if src == SERVER6 else 52)
        return IP(src=src, dst=dst, id=ip_id, ttl=64 if src == SERVER4 else 52, flags="DF")

    def add(self, t_us, ip_bytes, from_server):
        assert t_us >= 0
        self.packets.append((t_us, len(self.packets), bytes(ip_bytes), from_server))

    def udp(self, t_us, src, sport, dst, dport, payload):
        p = self.ip(src, dst) / UDP(sport=sport, dport=dport) / Raw(payload)
        self.add(t_us, raw(p), src in (SERVER4, SERVER6))
        if GAME_PORT in (sport, dport):
            self.game_port_datagrams += 1

    def to_server(self, t_us, src, sport, payload, dport=GAME_PORT):
        self.udp(t_us, src, sport, server_for(src), dport, payload)

    def from_server(self, t_us, dst, dport, payload, sport=GAME_PORT):
        self.udp(t_us, server_for(dst), sport, dst, dport, payload)

    # -- expected events --

    def expect(self, event, t_us, **fields):
        e = {"event": event}
        if t_us is not None:
            e["t"] = round(t_us / US, 6)
        e.update(fields)
        self.events.append(e)

    def expect_join(self, t_us, peer):
        self.players += 1
        self.expect("player_joined", t_us, peer=peer.name, players=self.players)

    def expect_leave(self, t_us, peer, reason):
        self.players -= 1
        self.expect("player_left", t_us, peer=peer.name, players=self.players, reason=reason)

    # -- noise --

    def a2s_query(self, t_us, client, cport, players, dport=QUERY_PORT, answer=True):
        """A server browser's A2S_INFO with the challenge step (4 datagrams)."""
        self.to_server(t_us, client, cport, A2S_INFO_REQUEST, dport)
        if not answer:
            return
        challenge = self.rng.randbytes(4)
        self.from_server(t_us + 180, client, cport, b"\xff\xff\xff\xffA" + challenge, dport)
        self.to_server(t_us + 41_000, client, cport, A2S_INFO_REQUEST + challenge, dport)
        info = (b"\xff\xff\xff\xffI\x11" + b"Midgard Evenings\x00" + b"\x00" + b"valheim\x00"
                + b"Valheim\x00" + struct.pack("<H", 892970 & 0xFFFF) + bytes([players, 10, 0])
                + b"dl\x01\x00" + b"0.219.16\x00" + b"\xb1" + struct.pack("<H", QUERY_PORT - 1)
                + struct.pack("<Q", 0x0123456789ABCDEF))
        self.from_server(t_us + 41_210, client, cport, info, dport)

    def junk(self, t_us, src, sport, first_byte, size):
        self.to_server(t_us, src, sport, bytes([first_byte]) + self.rng.randbytes(size - 1))

    def udp_port_scan(self, t_us, src, ports):
        """nmap -sU style: empty datagrams, one per port; closed ports answer ICMP unreachable."""
        for i, port in enumerate(ports):
            t = t_us + i * 9_000
            self.to_server(t, src, 61_000, b"", port)
            if port not in (GAME_PORT, QUERY_PORT):
                orig = raw(self.ip(src, SERVER4) / UDP(sport=61_000, dport=port))
                icmp = IP(src=SERVER4, dst=src, id=0, ttl=64) / ICMP(type=3, code=3) / Raw(orig)
                self.add(t + 120, raw(icmp), True)

    def random_source(self):
        """A spoofed source. Players use host numbers below 100, so noise never hits one."""
        net = self.rng.choice(["198.51.100.", "203.0.113."])
        return net + str(self.rng.randrange(100, 255)), self.rng.randrange(1024, 65536)

    # -- writing --

    def write(self, outdir, fmt="pcap"):
        """Write <name>.<fmt> and <name>.expected.json. Times shift so that the first packet is
        at BASE_TIME_US, and `t` in the expected events counts from it, as the replay's does."""
        packets = sorted(self.packets)
        t0 = packets[0][0]
        frames = [(t_us - t0, frame(self.linktype, ip_bytes, from_server))
                  for t_us, _, ip_bytes, from_server in packets]
        data = (write_pcap if fmt == "pcap" else write_pcapng)(frames, self.linktype, self.snaplen)
        path = outdir / f"{self.name}.{fmt}"
        path.write_bytes(data)

        events = []
        for e in self.events:
            e = dict(e)
            if "t" in e:
                e["t"] = round(e["t"] - t0 / US, 6)
            if e["event"] == "summary":
                # What "packets" may count: at least every datagram of the game port, at most
                # every frame in the file.
                e["packets_min"] = self.game_port_datagrams
                e["packets_max"] = len(frames)
            events.append(e)
        (outdir / f"{self.name}.expected.json").write_text(
            "[\n" + ",\n".join(json.dumps(e) for e in events) + "\n]\n")
        return path, len(frames), len(data)


class Peer:
    """One game client and its GNS connection to the server."""

    def __init__(self, cap, ip, port):
        self.cap = cap
        self.ip = ip
        self.port = port
        self.name = f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"
        self.client_conn_id = cap.rng.getrandbits(32)
        self.server_conn_id = cap.rng.getrandbits(32)
        self.seq_up = cap.rng.randrange(0x10000)
        self.seq_down = cap.rng.randrange(0x10000)

    def send(self, t_us, payload):
        self.cap.to_server(t_us, self.ip, self.port, payload)

    def recv(self, t_us, payload):
        self.cap.from_server(t_us, self.ip, self.port, payload)

    def handshake(self, t_us):
        """ChallengeRequest, ChallengeReply, ConnectRequest, ConnectOK; returns ConnectOK's time."""
        rng = self.cap.rng
        ids = struct.pack("<I", self.client_conn_id)
        self.send(t_us, pad(bytes([CHALLENGE_REQUEST]) + ids + struct.pack("<Q", t_us)))
        self.recv(t_us + 21_000, bytes([CHALLENGE_REPLY]) + ids + rng.randbytes(8) + struct.pack("<Q", t_us))
        self.send(t_us + 62_000, bytes([CONNECT_REQUEST]) + ids + rng.randbytes(8) + rng.randbytes(180))
        ok = t_us + 83_000
        self.recv(ok, bytes([CONNECT_OK]) + ids + struct.pack("<I", self.server_conn_id) + rng.randbytes(160))
        return ok

    def data_up(self, t_us, size):
        self.seq_up = (self.seq_up + 1) & 0xFFFF
        self.send(t_us, data_packet(self.cap.rng, self.server_conn_id, self.seq_up, size))

    def data_down(self, t_us, size):
        self.seq_down = (self.seq_down + 1) & 0xFFFF
        self.recv(t_us, data_packet(self.cap.rng, self.client_conn_id, self.seq_down, size))

    def play(self, start_us, end_us, period_us, up=(16, 80), down=(32, 200), reply_after_us=35_000):
        """One data packet up and one down every period (with a little jitter) in [start, end).
        Returns the time of the last packet from the client."""
        rng = self.cap.rng
        t = start_us
        last_up = None
        while t < end_us:
            tj = t + rng.randrange(0, period_us // 10)
            self.data_up(tj, rng.randint(*up))
            last_up = tj
            self.data_down(tj + reply_after_us, rng.randint(*down))
            t += period_us
        return last_up

    def close_from_client(self, t_us):
        self.send(t_us, pad(bytes([CONNECTION_CLOSED]) + struct.pack("<II", self.server_conn_id, 0)))
        self.recv(t_us + 21_000, bytes([NO_CONNECTION]) + struct.pack("<II", self.client_conn_id, 0))

    def close_from_server(self, t_us):
        self.recv(t_us, pad(bytes([CONNECTION_CLOSED]) + struct.pack("<II", self.client_conn_id, 0)))
        self.send(t_us + 40_000, bytes([NO_CONNECTION]) + struct.pack("<II", self.server_conn_id, 0))


def server_for(addr):
    return SERVER6 if ":" in addr else SERVER4


def pad(b):
    return b + bytes(PADDED - len(b))


def data_packet(rng, receiver_conn_id, seq, size):
    flags = 0x80 | rng.choice([0x00, 0x01, 0x04, 0x08, 0x0C])
    return bytes([flags]) + struct.pack("<IH", receiver_conn_id, seq) + rng.randbytes(max(0, size - 7))


# -- link layers and file formats --

def frame(linktype, ip_bytes, from_server):
    v6 = ip_bytes[0] >> 4 == 6
    ethertype = 0x86DD if v6 else 0x0800
    src, dst = (SERVER_MAC, GATEWAY_MAC) if from_server else (GATEWAY_MAC, SERVER_MAC)
    if linktype == LINKTYPE_ETHERNET:
        return raw(Ether(src=src, dst=dst, type=ethertype)) + ip_bytes
    if linktype == LINKTYPE_RAW:
        return ip_bytes
    mac = bytes.fromhex(src.replace(":", ""))
    # PACKET_HOST (0) coming in, PACKET_OUTGOING (4) going out, as `tcpdump -i any` sees them.
    pkttype = 4 if from_server else 0
    if linktype == LINKTYPE_LINUX_SLL:
        return struct.pack(">HHH8sH", pkttype, 1, 6, mac, ethertype) + ip_bytes
    if linktype == LINKTYPE_LINUX_SLL2:
        ifindex = 2
        return struct.pack(">HHIHBB8s", ethertype, 0, ifindex, 1, pkttype, 6, mac) + ip_bytes
    raise ValueError(linktype)


def write_pcap(frames, linktype, snaplen):
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype)]
    for t_us, f in frames:
        ts = BASE_TIME_US + t_us
        cap = f[:snaplen]
        out.append(struct.pack("<IIII", ts // US, ts % US, len(cap), len(f)))
        out.append(cap)
    return b"".join(out)


def pcapng_block(block_type, body):
    body += bytes(-len(body) % 4)
    length = len(body) + 12
    return struct.pack("<II", block_type, length) + body + struct.pack("<I", length)


def pcapng_option(code, value):
    return struct.pack("<HH", code, len(value)) + value + bytes(-len(value) % 4)


def write_pcapng(frames, linktype, snaplen):
    shb = pcapng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)
                       + pcapng_option(4, b"sigrun gen-captures.py") + pcapng_option(0, b""))
    idb = pcapng_block(0x00000001, struct.pack("<HHI", linktype, 0, snaplen)
                       + pcapng_option(2, b"any") + pcapng_option(9, b"\x06") + pcapng_option(0, b""))
    out = [shb, idb]
    for t_us, f in frames:
        ts = BASE_TIME_US + t_us
        cap = f[:snaplen]
        out.append(pcapng_block(0x00000006, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(cap), len(f)) + cap))
    return b"".join(out)


# -- the scenarios --

def demo_evening():
    """The quick-start demo: a Valheim evening, one data packet each way every 2 s per player."""
    cap = Capture("demo-evening", seed=2456)
    rng = cap.rng

    # Idle server, internet noise (no player on: A2S says 0).
    cap.a2s_query(sec(0.0), "203.0.113.50", 27005, players=0)
    cap.udp_port_scan(sec(37.21), "198.51.100.200", range(2450, 2463))
    cap.junk(sec(95.48), "198.51.100.99", 40000, 0x17, 48)
    cap.a2s_query(sec(121.93), "203.0.113.51", 27005, players=0)

    ragnar = Peer(cap, "198.51.100.23", 61054)
    freya = Peer(cap, "203.0.113.77", 53311)

    ok = ragnar.handshake(sec(180.0))
    cap.expect_join(ok, ragnar)
    ragnar_last = ragnar.play(ok + sec(0.5), sec(2941.0), sec(2.0))

    ok = freya.handshake(sec(480.0))
    cap.expect_join(ok, freya)
    freya.play(ok + sec(0.9), sec(2879.0), sec(2.0))
    # Freya quits from the menu: ConnectionClosed, the server answers NoConnection.
    freya.close_from_client(sec(2880.0))
    cap.expect_leave(sec(2880.0), freya, "closed")

    # Ragnar's client vanishes (crash, Wi-Fi gone): no ConnectionClosed. The server keeps
    # sending to him for 10 s (its own connection timeout) before it gives up; only silence
    # FROM the peer counts, so he leaves 30 s after his last packet.
    for i in range(1, 6):
        ragnar.data_down(ragnar_last + sec(2.0 * i), rng.randint(32, 200))
    left = ragnar_last + sec(30.0)
    cap.expect_leave(left, ragnar, "timeout")

    # Browsers keep asking while they play and after (A2S says how many are on).
    for t, n in ((610.4, 2), (1207.7, 2), (1833.2, 2), (2455.9, 2)):
        cap.a2s_query(sec(t), "203.0.113.%d" % rng.randrange(50, 60), 27005, players=n)

    # Server empty: the watchdog's idle countdown (idle_timeout 10 min, warn_before 2 min).
    cap.expect("idle_started", left)
    cap.expect("idle_warning", left + sec(8 * 60))
    cap.expect("shutdown", left + sec(10 * 60), reason="idle")

    # Sparse noise for 15 more minutes, so the stop happens inside the capture.
    t = left + sec(20.0)
    while t < left + sec(15 * 60):
        cap.a2s_query(t, "203.0.113.%d" % rng.randrange(50, 60), 27005, players=0)
        t += sec(60.0) + rng.randrange(-sec(7.0), sec(7.0))
    cap.expect("summary", None, players=0)
    return cap


def two_players(name="two-players", linktype=LINKTYPE_ETHERNET):
    """Two players overlapping, both close cleanly (one close from each side)."""
    cap = Capture(name, seed=2, linktype=linktype)
    cap.a2s_query(sec(0.0), "203.0.113.50", 27005, players=0)

    ragnar = Peer(cap, "198.51.100.23", 61054)
    freya = Peer(cap, "203.0.113.77", 53311)

    ok = ragnar.handshake(sec(2.0))
    cap.expect_join(ok, ragnar)
    ragnar.play(ok + sec(0.2), sec(119.5), sec(0.5))

    ok = freya.handshake(sec(20.0))
    cap.expect_join(ok, freya)
    freya.play(ok + sec(0.3), sec(149.5), sec(0.5))

    ragnar.close_from_client(sec(120.0))
    cap.expect_leave(sec(120.0), ragnar, "closed")
    # The server closes Freya's connection (she was kicked / the server asked her to leave).
    freya.close_from_server(sec(150.0))
    cap.expect_leave(sec(150.0), freya, "closed")

    cap.a2s_query(sec(155.0), "203.0.113.51", 27005, players=0)
    cap.expect("summary", None, players=0)
    return cap


def mid_session():
    """The agent starts while Ragnar already plays: no handshake in the capture."""
    cap = Capture("mid-session", seed=3)
    rng = cap.rng
    ragnar = Peer(cap, "198.51.100.31", 51515)

    # Data both ways every 0.25 s from the first packet: up at k*0.25 s, down 5 ms later.
    t = 0
    while t < sec(60.0):
        ragnar.data_up(t, rng.randint(16, 120))
        ragnar.data_down(t + 5_000, rng.randint(32, 400))
        t += sec(0.25)
    # Both ways from t=0.000/0.005, confirm_time 5 s: he is a player from 5.0 s (5.005 s if
    # counted from the first reply; the test allows 10 ms either way).
    cap.expect_join(sec(5.0025), ragnar)

    # A spoofed source floods the game port with data packets: 50/s for 20 s, never answered.
    spoofed_conn = rng.getrandbits(32)
    for i in range(1000):
        t = sec(8.0) + i * 20_000 + rng.randrange(0, 1000)
        cap.to_server(t, "203.0.113.66", 27015, data_packet(rng, spoofed_conn, i & 0xFFFF, rng.randint(20, 200)))

    ragnar.close_from_client(sec(60.1))
    cap.expect_leave(sec(60.1), ragnar, "closed")
    cap.a2s_query(sec(65.0), "203.0.113.50", 27005, players=0)
    cap.expect("summary", None, players=0)
    return cap


def ipv6():
    """One player over IPv6; his client vanishes and he times out."""
    cap = Capture("ipv6", seed=6)
    cap.a2s_query(sec(0.0), "2001:db8:ffff::50", 27005, players=0)
    sigrid = Peer(cap, "2001:db8:1::77", 50400)
    ok = sigrid.handshake(sec(1.0))
    cap.expect_join(ok, sigrid)
    last = sigrid.play(ok + sec(0.2), sec(61.0), sec(0.5))
    for i in range(1, 5):
        sigrid.data_down(last + sec(2.0 * i), 64)
    cap.expect_leave(last + sec(30.0), sigrid, "timeout")
    cap.a2s_query(sec(100.0), "2001:db8:ffff::51", 27005, players=0)
    cap.expect("summary", None, players=0)
    return cap


def hostile_noise():
    """Floods, scans and junk around one real player. Written with snaplen 68 (as
    `tcpdump -s 68` would) to keep the file small: the 512-byte ChallengeRequests are cut,
    their UDP header still says 512."""
    cap = Capture("hostile-noise", seed=666, snaplen=68)
    rng = cap.rng

    for i in range(8):
        cap.a2s_query(sec(15.0 * i + 0.3), "203.0.113.%d" % (50 + i), 27005, players=1 if 25 < 15 * i < 90 else 0)
    # A misconfigured browser sends A2S to the game port: the server ignores it.
    cap.a2s_query(sec(3.3), "203.0.113.60", 27005, players=0, dport=GAME_PORT, answer=False)

    # A TCP SYN scan of the first 200 ports and the game ports.
    for i, port in enumerate(list(range(1, 201)) + [GAME_PORT, QUERY_PORT]):
        syn = cap.ip("198.51.100.250", SERVER4) / TCP(sport=40000 + i, dport=port, flags="S", seq=rng.getrandbits(32))
        cap.add(sec(5.0) + i * 4_000, raw(syn), False)

    # IPv4 packets with a bad header length: IHL 3 (< 20 bytes) and IHL 15 in a 40-byte packet.
    for i, ihl in enumerate((3, 15)):
        p = bytearray(raw(cap.ip("198.51.100.251", SERVER4) / UDP(sport=5555, dport=GAME_PORT) / Raw(b"\x80" * 12)))
        p[0] = 0x40 | ihl
        cap.add(sec(8.0) + i * 1_000, bytes(p), False)

    # Truncated datagrams: < 5 bytes, data packets < 7 bytes, and a few too long for GNS.
    for i in range(40):
        src, sport = cap.random_source()
        cap.to_server(sec(10.0) + i * sec(2.5), src, sport, rng.randbytes(rng.randrange(0, 5)))
    for i in range(20):
        src, sport = cap.random_source()
        cap.to_server(sec(11.0) + i * sec(5.0), src, sport, bytes([0x80 | rng.randrange(16)]) + rng.randbytes(rng.randrange(4, 6)))
    for i in range(5):
        src, sport = cap.random_source()
        cap.junk(sec(12.5) + i * sec(20.0), src, sport, 0x81, 1400)

    # ChallengeRequest flood: 10,000 distinct spoofed sources in 10 s (1000/s), more than the
    # peer table holds (4096). GNS answers each with a ChallengeReply (a stateless cookie).
    sources, seen = [], set()
    while len(sources) < 10_000:
        s = cap.random_source()
        if s not in seen:   # (a list, not set order: that changes with PYTHONHASHSEED)
            seen.add(s)
            sources.append(s)
    for i, (src, sport) in enumerate(sources):
        t = sec(20.0) + i * 1_000 + rng.randrange(0, 900)
        cap.to_server(t, src, sport, pad(bytes([CHALLENGE_REQUEST]) + rng.randbytes(12)))
        cap.from_server(t + 60, src, sport, bytes([CHALLENGE_REPLY]) + rng.randbytes(20))

    # The one real player: handshake in the middle of the flood, plays, closes.
    astrid = Peer(cap, "198.51.100.42", 52001)
    ok = astrid.handshake(sec(25.0))
    cap.expect_join(ok, astrid)
    astrid.play(ok + sec(0.2), sec(89.5), sec(0.5))
    astrid.close_from_client(sec(90.0))
    cap.expect_leave(sec(90.0), astrid, "closed")

    # Fake data packets from 5,000 random sources in 10 s; the server answers one in ten with
    # NoConnection (GNS rate-limits those answers).
    for i in range(5_000):
        src, sport = cap.random_source()
        t = sec(40.0) + i * 2_000 + rng.randrange(0, 1900)
        cap.to_server(t, src, sport, data_packet(rng, rng.getrandbits(32), rng.randrange(0x10000), rng.randint(20, 120)))
        if i % 10 == 0:
            cap.from_server(t + 70, src, sport, bytes([NO_CONNECTION]) + rng.randbytes(8))

    # Malformed: the 65 short or overlong datagrams, and the 2 bad IPv4 headers if the
    # replay's capture filter lets them through.
    cap.expect("summary", None, players=0, malformed_min=40 + 20 + 5, malformed_max=40 + 20 + 5 + 2)
    return cap


def raw_ip():
    """One short session in a LINKTYPE_RAW capture (IPv4), plus an IPv6 A2S query."""
    cap = Capture("raw-ip", seed=101, linktype=LINKTYPE_RAW)
    cap.a2s_query(sec(0.0), "2001:db8:ffff::50", 27005, players=0)
    ulf = Peer(cap, "198.51.100.9", 50999)
    ok = ulf.handshake(sec(0.5))
    cap.expect_join(ok, ulf)
    ulf.play(ok + sec(0.2), sec(29.5), sec(0.5))
    ulf.close_from_client(sec(30.0))
    cap.expect_leave(sec(30.0), ulf, "closed")
    cap.expect("summary", None, players=0)
    return cap


def main():
    outdir = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent
    outdir.mkdir(parents=True, exist_ok=True)

    written = []
    written.append(demo_evening().write(outdir))
    written.append(two_players().write(outdir))
    written.append(mid_session().write(outdir))
    written.append(ipv6().write(outdir))
    written.append(hostile_noise().write(outdir))
    written.append(raw_ip().write(outdir))
    # The two-players session again, as `tcpdump -i any` writes it (cooked v1 pcap, cooked v2 pcapng).
    written.append(two_players("cooked", LINKTYPE_LINUX_SLL).write(outdir))
    written.append(two_players("cooked2", LINKTYPE_LINUX_SLL2).write(outdir, fmt="pcapng"))

    for path, count, size in written:
        print(f"{path.name}: {count} packets, {size} bytes")


if __name__ == "__main__":
    main()

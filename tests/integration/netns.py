"""Network namespaces and veth pairs for live tests, and GNS-shaped peers inside them.

Live capture tests need real interfaces with real traffic, but must never touch
the host's network: each test makes its own namespaces (`ip netns add`), joins
them with a veth pair, and removes everything afterwards, also when the test
fails. Names carry the test process's pid, so concurrent runs do not collide,
and namespaces left behind by a run that was killed (its pid gone) are removed
by the next one.

    with NetNS("srv") as server, NetNS("cli") as client:
        srv_if, cli_if = veth(server, "192.0.2.10/24", client, "198.51.100.7/24")
        peers = Peers(client)          # a process in the client namespace
        peers.call("connect", "ragnar", "198.51.100.7", "192.0.2.10", "2456")

`Peers` runs this file as a program inside a namespace and drives it line by
line on stdin/stdout; the GNS traffic itself comes from gns.py (GnsServer,
GnsClient), so live tests speak exactly what the loopback tests speak.
"""
import itertools
import os
import pathlib
import random
import select
import socket
import struct
import subprocess
import sys

import gns

PREFIX = "sgrt"
_serial = itertools.count()


def _ip(*args, check=True):
    p = subprocess.run(["ip", *args], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {p.stderr.strip()}")
    return p


def _unique(kind):
    # Interface names are at most 15 characters: sgrt<pid><kind><n>, e.g. sgrt123456v3.
    return f"{PREFIX}{os.getpid()}{kind}{next(_serial)}"


def remove_stale_namespaces():
    """Delete sgrt<pid>... namespaces whose creating process is gone."""
    p = _ip("netns", "list", check=False)
    for line in p.stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        if not name.startswith(PREFIX):
            continue
        digits = ""
        for ch in name[len(PREFIX):]:
            if not ch.isdigit():
                break
            digits += ch
        if digits and not pathlib.Path(f"/proc/{digits}").exists():
            _ip("netns", "del", name, check=False)


class NetNS:
    """A network namespace with lo up; deleting it also deletes the veth ends inside it."""

    def __init__(self, kind="n"):
        remove_stale_namespaces()
        self.name = _unique(kind)
        _ip("netns", "add", self.name)
        self.procs = []
        try:
            self.run("ip", "link", "set", "lo", "up")
        except BaseException:
            self.close()
            raise

    def run(self, *cmd, check=True):
        p = subprocess.run(["ip", "netns", "exec", self.name, *cmd], capture_output=True, text=True)
        if check and p.returncode != 0:
            raise RuntimeError(f"in {self.name}: {' '.join(cmd)}: {p.stderr.strip()}")
        return p

    def popen(self, cmd, **kwargs):
        p = subprocess.Popen(["ip", "netns", "exec", self.name, *cmd], **kwargs)
        self.procs.append(p)
        return p

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.procs.clear()
        _ip("netns", "del", self.name, check=False)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def veth(ns_a, addrs_a, ns_b, addrs_b, routes_a=(), routes_b=()):
    """A veth pair between two namespaces, up, with the given addresses ("192.0.2.10/24" or a
    list) and on-link routes; returns the two interface names."""
    a, b = _unique("a"), _unique("b")
    _ip("link", "add", a, "netns", ns_a.name, "type", "veth", "peer", "name", b, "netns", ns_b.name)
    for ns, ifname, addrs, routes in ((ns_a, a, addrs_a, routes_a), (ns_b, b, addrs_b, routes_b)):
        for addr in [addrs] if isinstance(addrs, str) else addrs:
            ns.run("ip", "addr", "add", addr, "dev", ifname, *(["nodad"] if ":" in addr else []))
        ns.run("ip", "link", "set", ifname, "up")
        for route in routes:
            ns.run("ip", "route", "add", route, "dev", ifname)
    return a, b


class Peers:
    """This file run as a program inside a namespace: GNS servers and clients on command."""

    def __init__(self, ns):
        here = pathlib.Path(__file__).resolve().parent
        self.proc = ns.popen([sys.executable, str(pathlib.Path(__file__).resolve())],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             bufsize=1, cwd=here, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})

    def call(self, *words, timeout=15.0):
        self.proc.stdin.write(" ".join(str(w) for w in words) + "\n")
        self.proc.stdin.flush()
        r, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if r else ""
        if not line.startswith("ok"):
            err = self.proc.stderr.read() if self.proc.poll() is not None else ""
            raise AssertionError(f"peers: {' '.join(map(str, words))}: {line.strip() or 'no answer'} {err}")
        return line[2:].strip()


# ---- the program run inside a namespace ---------------------------------------

def _flood(count, dst, dport, kind, seed):
    """Spoofed GNS datagrams from `count` random sources (raw socket, IP header written here)."""
    rng = random.Random(seed)
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    dst_b = socket.inet_aton(dst)
    for _ in range(count):
        src = bytes([198, 51, 100, rng.randrange(100, 255)]) if rng.random() < 0.5 else \
            bytes([203, 0, 113, rng.randrange(100, 255)])
        if kind == "challenge":
            payload = bytes([gns.CHALLENGE_REQUEST]) + rng.randbytes(11) + bytes(500)
        else:
            payload = gns.data_packet(rng.getrandbits(32), rng.randrange(65536), rng.randbytes(40))
        udp = struct.pack(">HHHH", rng.randrange(1024, 65536), dport, 8 + len(payload), 0) + payload
        ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, src, dst_b)
        s.sendto(ip + udp, (dst, 0))
    s.close()


def _serve_commands():
    servers, clients = [], {}
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        try:
            cmd, args = words[0], words[1:]
            if cmd == "serve":                      # serve HOST PORT ("::" serves IPv4 too)
                servers.append(gns.GnsServer(args[0], int(args[1])))
            elif cmd == "connect":                  # connect NAME SRC DST DPORT [PERIOD]
                client = gns.GnsClient((args[2], int(args[3])), host=args[1]).connect()
                clients[args[0]] = client.play(float(args[4]) if len(args) > 4 else 0.2)
            elif cmd == "close":                    # close NAME
                clients.pop(args[0]).close()
            elif cmd == "silence":                  # silence NAME
                clients.pop(args[0]).go_silent()
            elif cmd == "flood":                    # flood COUNT DST DPORT challenge|data
                _flood(int(args[0]), args[1], int(args[2]), args[3], seed=int(args[0]))
            else:
                raise ValueError(f"unknown command {cmd}")
        except Exception as e:  # reported to the test, which fails with it
            print(f"error {type(e).__name__}: {e}", flush=True)
            continue
        print("ok", flush=True)


if __name__ == "__main__":
    _serve_commands()

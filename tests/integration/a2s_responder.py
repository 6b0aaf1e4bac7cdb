"""A scripted Steam A2S_INFO responder on loopback, standing in for a public
Valheim server's query port (game port + 1) in tests.

It does what the real server does: answers FF FF FF FF 54 "Source Engine Query"
with a challenge (FF FF FF FF 41 <4 bytes>) first, and the info reply
(FF FF FF FF 49 ...) only to a request that carries that challenge. The
player count can be changed while it runs, and it can go silent.

    with A2sResponder(players=3) as r:      # r.port is the query port
        ...
        r.players = 1
        r.silent = True                     # stop answering

Run by hand: python3 a2s_responder.py --port 2457 --players 2
"""
import argparse
import os
import socket
import struct
import threading

HEADER = b"\xff\xff\xff\xff"
REQUEST = HEADER + b"\x54Source Engine Query\x00"


def info_reply(players, max_players=10, name="Midgard", version="0.219.16", port=2456):
    """The A2S_INFO reply Valheim sends, extra data included."""
    body = bytes([0x11])                                   # protocol
    for s in (name, name, "valheim", "Valheim"):          # name, map, folder, game
        body += s.encode() + b"\x00"
    body += struct.pack("<H", 892970 & 0xFFFF)            # appid, cut to 16 bits
    body += bytes([players, max_players, 0])              # players, max, bots
    body += b"dl" + bytes([0, 0])                         # dedicated, linux, no password, no VAC
    body += version.encode() + b"\x00"
    body += b"\xb1" + struct.pack("<H", port)             # extra data: port, SteamID, keywords, game id
    body += struct.pack("<Q", 90071992547409920)
    body += b"gv=" + version.encode() + b"\x00"
    body += struct.pack("<Q", 892970)
    return HEADER + b"\x49" + body


class A2sResponder:
    def __init__(self, players=0, port=0, host="127.0.0.1", challenge=True):
        self.players = players
        self.silent = False
        self.challenge = challenge
        self.requests = 0          # well-formed requests seen
        self.answered = 0          # info replies sent
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, port))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self._challenge = os.urandom(4)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(5)
        self.sock.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _run(self):
        while not self._stop.is_set():
            try:
                data, addr = self.sock.recvfrom(2048)
            except socket.timeout:
                continue
            except OSError:
                return
            if not data.startswith(REQUEST):
                continue
            self.requests += 1
            if self.silent:
                continue
            if self.challenge and data[len(REQUEST):] != self._challenge:
                self.sock.sendto(HEADER + b"\x41" + self._challenge, addr)
                continue
            self.sock.sendto(info_reply(self.players), addr)
            self.answered += 1


def free_query_port():
    """A UDP port p+1 that is free, with p (the game port) free too; returns p."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            q = s.getsockname()[1]
        if q < 1025:
            continue
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.bind(("127.0.0.1", q - 1))
        except OSError:
            continue
        return q - 1
    raise RuntimeError("no free pair of UDP ports")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=2457)
    ap.add_argument("--players", type=int, default=0)
    ap.add_argument("--no-challenge", action="store_true")
    args = ap.parse_args()
    r = A2sResponder(args.players, args.port, challenge=not args.no_challenge)
    print(f"answering A2S_INFO on 127.0.0.1:{r.port} with {args.players} player(s)", flush=True)
    try:
        r._run()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()

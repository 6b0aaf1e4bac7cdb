"""GNS-shaped UDP peers for live tests: a tiny game "server" that answers the
handshake the way Valve GameNetworkingSockets does, and clients that connect,
exchange data and close. Only the first bytes matter to the agent (design
brief §2): 0x20 ChallengeRequest (padded to 512), 0x21 ChallengeReply, 0x22
ConnectRequest, 0x23 ConnectOK, 0x24 ConnectionClosed (padded to 512), data
packets with bit 0x80 set and a 7-byte header.

The one implementation for every live test: on loopback (test_daemon.py,
test_journal.py) and inside network namespaces (netns.py runs it there), over
IPv4 or IPv6 (the family follows the address):

    with GnsServer() as server:                       # 127.0.0.1, a free port
        client = GnsClient(server.port).connect().play()   # data every 0.2 s
        client.close()          # or client.go_silent(): no ConnectionClosed
"""
import socket
import struct
import threading

CHALLENGE_REQUEST, CHALLENGE_REPLY, CONNECT_REQUEST, CONNECT_OK, CLOSED = 0x20, 0x21, 0x22, 0x23, 0x24


def padded(kind, size=512):
    return bytes([kind]) + b"\x00" * (size - 1)


def data_packet(conn_id, seq, payload=b"x" * 40):
    return bytes([0x80]) + struct.pack("<IH", conn_id, seq & 0xFFFF) + payload


def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _udp_socket(host, port, family, timeout):
    sock = socket.socket(family or family_of(host), socket.SOCK_DGRAM)
    if sock.family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)  # "::" serves IPv4 too
    sock.bind((host, port))
    sock.settimeout(timeout)
    return sock


class GnsServer:
    """Answers handshakes and echoes data, on host:port (UDP), in a thread."""

    def __init__(self, host="127.0.0.1", port=0, family=None):
        self.sock = _udp_socket(host, port, family, 0.2)
        self.port = self.sock.getsockname()[1]
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        seq = 0
        while self.running:
            try:
                data, addr = self.sock.recvfrom(2048)
            except (socket.timeout, OSError):
                continue
            if not data:
                continue
            kind = data[0]
            if kind == CHALLENGE_REQUEST:
                reply = bytes([CHALLENGE_REPLY]) + b"\x00" * 15
            elif kind == CONNECT_REQUEST:
                reply = bytes([CONNECT_OK]) + b"\x00" * 15
            elif kind & 0x80:
                seq += 1
                reply = data_packet(0x1234, seq)
            else:
                continue
            try:
                self.sock.sendto(reply, addr)
            except OSError:
                pass

    def close(self):
        self.running = False
        self.thread.join()
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class GnsClient:
    """A scripted player of `server`, (host, port) or a port on 127.0.0.1,
    sending from `host` (default: the loopback address of the family)."""

    def __init__(self, server, host=None, family=None):
        self.server = ("127.0.0.1", server) if isinstance(server, int) else tuple(server)
        family = family or family_of(self.server[0])
        if host is None:
            host = "::1" if family == socket.AF_INET6 else "127.0.0.1"
        self.sock = _udp_socket(host, 0, family, 1.0)
        self.seq = 0
        self._stop = threading.Event()
        self._thread = None

    def _ask(self, packet, expect):
        for _ in range(5):
            self.sock.sendto(packet, self.server)
            try:
                data, _ = self.sock.recvfrom(2048)
            except socket.timeout:
                continue
            if data and data[0] == expect:
                return
        raise AssertionError(f"no 0x{expect:02x} from the server")

    def connect(self):
        self._ask(padded(CHALLENGE_REQUEST), CHALLENGE_REPLY)
        self._ask(bytes([CONNECT_REQUEST]) + b"\x00" * 31, CONNECT_OK)
        return self

    def send_data(self):
        """One data packet; waits (up to 1 s) for the server's echo."""
        self.seq += 1
        self.sock.sendto(data_packet(0x4321, self.seq), self.server)
        try:
            self.sock.recvfrom(2048)
        except socket.timeout:
            pass

    def play(self, period=0.2):
        """Data both ways every `period` seconds, in a thread, until close() or
        go_silent(); without connect() first, it is a player the agent sees
        only mid-session."""
        self._thread = threading.Thread(target=self._play, args=(period,), daemon=True)
        self._thread.start()
        return self

    def _play(self, period):
        while not self._stop.wait(period):
            try:
                self.send_data()
            except OSError:
                pass

    def _stop_playing(self):
        self._stop.set()
        if self._thread:
            self._thread.join()

    def go_silent(self):
        """Stop sending without a word, as a player whose link died."""
        self._stop_playing()
        self.sock.close()

    def close(self):
        self._stop_playing()
        self.sock.sendto(padded(CLOSED), self.server)
        self.sock.close()

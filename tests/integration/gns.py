"""GNS-shaped UDP peers for live tests: a tiny game "server" that answers the
handshake the way Valve GameNetworkingSockets does, and clients that connect,
exchange data and close. Only the first bytes matter to the agent (design
brief §2): 0x20 ChallengeRequest (padded to 512), 0x21 ChallengeReply, 0x22
ConnectRequest, 0x23 ConnectOK, 0x24 ConnectionClosed (padded to 512), data
packets with bit 0x80 set and a 7-byte header.
"""
import socket
import struct
import threading

CHALLENGE_REQUEST, CHALLENGE_REPLY, CONNECT_REQUEST, CONNECT_OK, CLOSED = 0x20, 0x21, 0x22, 0x23, 0x24


def padded(kind, size=512):
    return bytes([kind]) + b"\x00" * (size - 1)


def data_packet(conn_id, seq, payload=b"x" * 40):
    return bytes([0x80]) + struct.pack("<IH", conn_id, seq & 0xFFFF) + payload


class GnsServer:
    """Answers handshakes and echoes data, on host:port (UDP), in a thread."""

    def __init__(self, host="127.0.0.1", port=0, family=socket.AF_INET):
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.bind((host, port))
        self.sock.settimeout(0.2)
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
    def __init__(self, server, host="127.0.0.1", family=socket.AF_INET):
        self.server = server
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.sock.settimeout(1.0)
        self.seq = 0

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

    def send_data(self):
        self.seq += 1
        self.sock.sendto(data_packet(0x4321, self.seq), self.server)
        try:
            self.sock.recvfrom(2048)
        except socket.timeout:
            pass

    def close(self):
        self.sock.sendto(padded(CLOSED), self.server)
        self.sock.close()

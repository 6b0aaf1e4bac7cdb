"""Someone on the internet who spoofs the game server's address must not be
able to fake players (and so keep an empty server running, and billing).

On EC2 the public address is not an interface address, so a datagram that
claims to come from the server but carries another source address is
spoofed: with capture.local_only (the default) it never counts. With the
setting off, the very same packets make a player, which shows the packets do
reach the agent."""
import os
import time

import pytest

from agentctl import Agent
from gns import CHALLENGE_REQUEST, CONNECT_OK, GnsServer, data_packet, padded

scapy = pytest.importorskip("scapy.all")

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="sends raw frames on lo")

CLIENT = ("198.51.100.50", 40000)
SPOOFED_SERVER = "203.0.113.9"


def frame(src, sport, dst, dport, payload):
    return (scapy.Ether(src="00:00:00:00:00:00", dst="00:00:00:00:00:00") /
            scapy.IP(src=src, dst=dst) / scapy.UDP(sport=sport, dport=dport) / scapy.Raw(payload))


def fake_session(game_port, seconds=7.0):
    """A handshake and two-way data in which every "server" packet is spoofed."""
    to_server = lambda p: frame(CLIENT[0], CLIENT[1], "127.0.0.1", game_port, p)   # noqa: E731
    from_fake = lambda p: frame(SPOOFED_SERVER, game_port, CLIENT[0], CLIENT[1], p)  # noqa: E731
    scapy.sendp([to_server(padded(CHALLENGE_REQUEST)), from_fake(bytes([CONNECT_OK]) + b"\0" * 15)],
                iface="lo", verbose=False)
    deadline = time.monotonic() + seconds
    seq = 0
    while time.monotonic() < deadline:
        seq += 1
        scapy.sendp([to_server(data_packet(1, seq)), from_fake(data_packet(2, seq))], iface="lo", verbose=False)
        time.sleep(0.25)


@pytest.mark.parametrize("local_only, counted", [(True, False), (False, True)])
def test_spoofed_server_packets_make_no_player(local_only, counted):
    with GnsServer() as server:
        config = (f"game:\n  port: {server.port}\n"
                  f"capture:\n  interface: lo\n  local_only: {'true' if local_only else 'false'}\n"
                  "log:\n  source: off\napi:\n  listen: []\n")
        with Agent(config) as agent:
            agent.wait_ready()
            agent.wait_status(r"^0 players")
            fake_session(server.port)
            if counted:
                agent.wait_status(r"^1 player\b", 5)
            else:
                agent.collect(1.0)
                assert all(s.startswith("0 players") for s in agent.statuses), agent.statuses

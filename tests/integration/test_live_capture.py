"""sigrun-agent capturing live traffic in network namespaces (issue 3).

Each test builds its own little network and removes it afterwards (netns.py):

    namespace "s…" (server)                   namespace "c…" (clients)
    veth 192.0.2.10/24, 2001:db8::10/64 ─────── veth 198.51.100.7/24, .8/24, 2001:db8::7/64
    GNS "server" on UDP 2456 (gns.py)          scripted GNS clients (gns.py)
    sigrun-agent capturing on its veth         spoofed floods (raw socket)

Only documentation addresses, only inside the namespaces. The agent runs in
the server namespace exactly as systemd would start it (Type=notify, a
NOTIFY_SOCKET the test reads), with the log source off, so the count it reports
in STATUS= comes from the capture alone.
"""
import os
import re
import shutil
import time
from types import SimpleNamespace

import pytest

from agentctl import AGENT, Agent
from netns import NetNS, Peers, veth

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces"),
    pytest.mark.skipif(shutil.which("ip") is None, reason="needs iproute2"),
    pytest.mark.skipif(not AGENT.exists(), reason=f"{AGENT} not built"),
]

SERVER_IP = "192.0.2.10"
RAGNAR_IP = "198.51.100.7"
FREYA_IP = "198.51.100.8"
SERVER_IP6 = "2001:db8::10"
SIGRID_IP6 = "2001:db8::7"
GAME_PORT = 2456
PEER_TIMEOUT = 3.0


@pytest.fixture
def net(tmp_path):
    with NetNS("s") as server, NetNS("c") as client:
        server_if, client_if = veth(server, [f"{SERVER_IP}/24", f"{SERVER_IP6}/64"],
                                    client, [f"{RAGNAR_IP}/24", f"{FREYA_IP}/24", f"{SIGRID_IP6}/64"],
                                    routes_a=["198.51.100.0/24", "203.0.113.0/24"], routes_b=["192.0.2.0/24"])
        game = Peers(server)
        game.call("serve", "::", GAME_PORT)
        yield SimpleNamespace(server=server, client=client, server_if=server_if, clients=Peers(client),
                              state=tmp_path)


def config(net, interface):
    return (f"capture:\n  interface: {interface}\n  peer_timeout: {PEER_TIMEOUT:g}s\n"
            "log:\n  source: off\n"
            "a2s:\n  enabled: false\n"
            "api:\n  listen: []\n"
            "watchdog:\n  action: none\n"
            f"agent:\n  state_directory: {net.state}\n")


def counts(statuses):
    """The player counts STATUS= went through, repeats folded."""
    out = []
    for s in statuses:
        m = re.match(r"(\d+) players?\b", s)
        n = int(m.group(1)) if m else None
        if not out or out[-1] != n:
            out.append(n)
    return out


def settle(agent, seconds):
    """Read every STATUS= the agent sends for a while."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        agent._drain(deadline - time.monotonic())


def connect(net, name, ip):
    net.clients.call("connect", name, ip, SERVER_IP, GAME_PORT)


def test_count_follows_joins_closes_and_silence(net):
    with Agent(config(net, net.server_if), netns=net.server.name) as agent:
        agent.wait_ready()
        # READY=1 comes once the capture is open: a handshake sent right now is seen.
        connect(net, "ragnar", RAGNAR_IP)
        agent.wait_status(r"^1 player\b")
        connect(net, "freya", FREYA_IP)
        agent.wait_status(r"^2 players")

        net.clients.call("close", "ragnar")
        agent.wait_status(r"^1 player\b")

        net.clients.call("silence", "freya")
        silent_since = time.monotonic()
        agent.wait_status(r"^0 players", timeout=PEER_TIMEOUT + 7)
        waited = time.monotonic() - silent_since
        assert waited >= PEER_TIMEOUT - 1.0, f"a silent player must count for peer_timeout, left after {waited:.1f}s"

        assert counts(agent.statuses) == [0, 1, 2, 1, 0], agent.statuses


def test_any_interface(net):
    with Agent(config(net, "any"), netns=net.server.name) as agent:
        agent.wait_ready()
        agent.wait_status(r"^0 players")
        connect(net, "ragnar", RAGNAR_IP)
        agent.wait_status(r"^1 player\b")
        net.clients.call("close", "ragnar")
        agent.wait_status(r"^0 players")
        assert counts(agent.statuses) == [0, 1, 0], agent.statuses


def test_ipv6_player(net):
    with Agent(config(net, net.server_if), netns=net.server.name) as agent:
        agent.wait_ready()
        net.clients.call("connect", "sigrid", SIGRID_IP6, SERVER_IP6, GAME_PORT)
        agent.wait_status(r"^1 player\b")
        connect(net, "ragnar", RAGNAR_IP)
        agent.wait_status(r"^2 players")
        net.clients.call("close", "sigrid")
        agent.wait_status(r"^1 player\b")
        net.clients.call("close", "ragnar")
        agent.wait_status(r"^0 players")


def test_spoofed_floods_never_count(net):
    with Agent(config(net, net.server_if), netns=net.server.name) as agent:
        agent.wait_ready()
        connect(net, "ragnar", RAGNAR_IP)
        agent.wait_status(r"^1 player\b")
        seen = len(agent.statuses)

        # 5000 ChallengeRequests and 5000 data packets from random spoofed sources: more
        # sources than the peer table holds (4096).
        net.clients.call("flood", 5000, SERVER_IP, GAME_PORT, "challenge")
        net.clients.call("flood", 5000, SERVER_IP, GAME_PORT, "data")
        settle(agent, 2.0)
        during = agent.statuses[seen:]
        assert all(re.match(r"1 player\b", s) for s in during), during

        # The capture still works after the flood, and the flood's peers were not players.
        connect(net, "freya", FREYA_IP)
        agent.wait_status(r"^2 players")
        net.clients.call("close", "ragnar")
        net.clients.call("close", "freya")
        agent.wait_status(r"^0 players")
        assert counts(agent.statuses) == [1, 2, 1, 0] or counts(agent.statuses) == [0, 1, 2, 1, 0], agent.statuses


def test_no_ready_without_a_capture(net):
    with Agent(config(net, "sgrt-nosuchif"), netns=net.server.name) as agent:
        settle(agent, 3.0)
        assert not agent.ready, "READY=1 sent although the capture could not be opened"
        if agent.proc.poll() is not None:
            assert agent.proc.returncode != 0
        assert "sgrt-nosuchif" in agent.stderr()

"""The agent's second and third player sources, end to end.

(a) The game's log read from a file: the real agent follows a Valheim log we
    append to, and its STATUS= line follows joins, respawns, deaths, failed
    passwords and leaves; crossplay counts come from "now N player(s)"; a log
    that cannot be read makes the count unknown, never zero.
(b) A2S_INFO against a scripted responder on the query port (game port + 1):
    the agent reports the responder's count, goes through the challenge step,
    and marks the source unknown (not 0) when the responder stops answering.

The capture source runs too (on lo, where no game traffic flows, so it says 0);
the agent reports the largest count among healthy sources.
"""
import hashlib
import hmac
import json
import os
import pathlib
import secrets
import socket
import tempfile
import time
import urllib.request

import pytest

from a2s_responder import A2sResponder, free_query_port
from agentctl import Agent
from conftest import DATADIR

TS = "12/04/2026 20:15:03: "


def free_tcp_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Setup:
    """A temporary directory, a game port with a free query port next to it,
    an API port and key, and the config around them."""

    def __init__(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="sigrun-sources-")
        self.dir = pathlib.Path(self.tmp.name)
        self.log = self.dir / "valheim.log"
        self.game_port = free_query_port()
        self.api_port = free_tcp_port()
        self.key = secrets.token_bytes(32)
        self.env = {"STATE_DIRECTORY": str(self.dir)}

    def config(self, *, log="off", crossplay=False, a2s=False, public=False):
        text = f"""\
game:
  port: {self.game_port}
  crossplay: {"true" if crossplay else "false"}
  public: {"true" if public else "false"}
capture:
  interface: lo
log:
  source: {log}
  file: {self.log}
a2s:
  enabled: {"true" if a2s else "false"}
  interval: 1s
  timeout: 500ms
api:
  listen: ["127.0.0.1:{self.api_port}"]
  key: {self.key.hex()}
watchdog:
  action: none
"""
        return text

    def append(self, *lines, stamp=True):
        with open(self.log, "a") as f:
            for line in lines:
                f.write((TS if stamp else "") + line + "\n")

    def players_api(self):
        """GET /v1/players, signed as design brief §3 says."""
        path = "/v1/players"
        ts = str(int(time.time()))
        nonce = secrets.token_hex(16)
        message = f"{ts}\n{nonce}\nGET\n{path}\n{hashlib.sha256(b'').hexdigest()}".encode()
        req = urllib.request.Request(f"http://127.0.0.1:{self.api_port}{path}", headers={
            "X-Sigrun-Timestamp": ts,
            "X-Sigrun-Nonce": nonce,
            "X-Sigrun-Signature": hmac.new(self.key, message, hashlib.sha256).hexdigest(),
        })
        with urllib.request.urlopen(req, timeout=5) as r:
            return json.load(r)

    def source(self, name):
        doc = self.players_api()
        found = [s for s in doc["sources"] if s["name"] == name]
        assert found, f"no source {name!r} in {doc}"
        return found[0]

    def cleanup(self):
        self.tmp.cleanup()


@pytest.fixture
def setup():
    s = Setup()
    yield s
    s.cleanup()


def settle(agent, pattern, seconds=1.0):
    """The last STATUS still matches after a while (nothing changed it back)."""
    time.sleep(seconds)
    return agent.wait_status(pattern, timeout=1)


# ---- (a) the log source, from a file ----------------------------------------

def test_log_file_joins_and_leaves(setup):
    setup.append("Game server connected")
    with Agent(setup.config(log="file"), env=setup.env) as agent:
        agent.wait_ready()
        agent.wait_status(r"^0 players")

        setup.append("Got connection SteamID 76561198000000001",
                     "Got handshake from client 76561198000000001",
                     "Server: New peer connected,sending global keys",
                     "Got character ZDOID from Ragnar : -1437896420:1")
        agent.wait_status(r"^1 player \(Ragnar\)")

        setup.append("Got connection SteamID 76561198000000002",
                     "Got handshake from client 76561198000000002",
                     "Got character ZDOID from Freya : 1730451269:1")
        agent.wait_status(r"^2 players \(Ragnar, Freya\)")

        # dying and respawning is not joining
        setup.append("Got character ZDOID from Ragnar : 0:0",
                     "Got character ZDOID from Ragnar : -1437896420:2")
        settle(agent, r"^2 players \(Ragnar, Freya\)")

        # a stranger with the wrong password never stays a player
        setup.append("Got connection SteamID 76561198000000003",
                     "Got handshake from client 76561198000000003",
                     "Peer 76561198000000003 has wrong password",
                     "Closing socket 76561198000000003")
        settle(agent, r"^2 players \(Ragnar, Freya\)")

        setup.append("  Closing socket 76561198000000001")
        agent.wait_status(r"^1 player \(Freya\)")
        setup.append("Closing socket 76561198000000002")
        agent.wait_status(r"^0 players")


def test_log_file_agent_started_mid_session(setup):
    # two people joined before the agent started: the file is read from its start
    setup.log.write_text((DATADIR / "valheim-steam.log").read_text().split("12/04/2026 20:34:17")[0])
    with Agent(setup.config(log="file"), env=setup.env) as agent:
        agent.wait_ready()
        agent.wait_status(r"^2 players \(Ragnar, Freya Ironside\)")

        # the game restarts and rewrites its log: a new run, nobody on
        setup.log.write_text(TS + "Game server connected\n")
        agent.wait_status(r"^0 players")


def test_log_file_overlong_lines_skipped(setup):
    setup.append("Game server connected")
    with Agent(setup.config(log="file"), env=setup.env) as agent:
        agent.wait_ready()
        agent.wait_status(r"^0 players")
        # 10 KiB of one line that would count, then a real join
        setup.append("Got connection SteamID 5 " + "x" * 10240,
                     "Got connection SteamID 76561198000000001")
        agent.wait_status(r"^1 player")
        settle(agent, r"^1 player")


def test_log_file_crossplay_counts_and_unknown(setup):
    setup.append('Session "Midgard" registered with join code 738419')
    with Agent(setup.config(log="file", crossplay=True), env=setup.env) as agent:
        agent.wait_ready()
        agent.wait_status(r"^0 players")

        setup.append('Player joined server "Midgard" that has join code 738419, now 1 player(s)',
                     "Got character ZDOID from Ragnar : 2013557041:1",
                     'Player joined server "Midgard" that has join code 738419, now 2 player(s)')
        agent.wait_status(r"^2 players")
        setup.append('Player connection lost server "Midgard" that has join code 738419, now 1 player(s)')
        agent.wait_status(r"^1 player")

        # In crossplay the log is the only source that can count. Once it
        # cannot be read, the agent must not say 0.
        os.unlink(setup.log)
        agent.wait_status(r"^players unknown")
        log = setup.source("log")
        assert log["health"] == "failed"
        assert log["players"] is None
        assert "No such file" in log["detail"]

        # the game starts again and writes a new log
        setup.append('Session "Midgard" registered with join code 102938')
        agent.wait_status(r"^0 players")


# ---- (b) A2S_INFO against a scripted responder ---------------------------------

def test_a2s_counts_and_goes_unknown(setup):
    with A2sResponder(players=3, port=setup.game_port + 1) as responder:
        with Agent(setup.config(a2s=True, public=True), env=setup.env) as agent:
            agent.wait_ready()
            agent.wait_status(r"^3 players")
            # it went through the challenge: every answer needed one
            assert responder.answered >= 1
            assert responder.requests >= 2 * responder.answered

            a2s = setup.source("a2s")
            assert a2s["health"] == "healthy"
            assert a2s["players"] == 3

            responder.players = 1
            agent.wait_status(r"^1 player\b")

            # the server stops answering: the A2S count is unknown, not 0
            responder.silent = True
            agent.wait_for(lambda: setup.source("a2s")["health"] == "unknown", 10, "a2s unknown")
            a2s = setup.source("a2s")
            assert a2s["players"] is None
            assert "no answer" in a2s["detail"]
            # capture (healthy, seeing nobody on lo) is what remains
            agent.wait_status(r"^0 players")

            # it answers again
            responder.silent = False
            responder.players = 2
            agent.wait_status(r"^2 players")

        # the query port closes: ICMP port unreachable, unknown at once
    with Agent(setup.config(a2s=True, public=True), env=setup.env) as agent:
        agent.wait_ready()
        agent.wait_for(lambda: setup.source("a2s")["health"] == "unknown" and
                       setup.source("a2s")["detail"] in ("query port closed", "no answer within 500ms"),
                       10, "a2s unknown without a responder")
        assert setup.source("a2s")["players"] is None


def test_a2s_not_asked_when_private(setup):
    # A2S answers only on public servers: a private one is never asked
    with A2sResponder(players=3, port=setup.game_port + 1) as responder:
        with Agent(setup.config(a2s=True, public=False), env=setup.env) as agent:
            agent.wait_ready()
            agent.wait_status(r"^0 players")
            settle(agent, r"^0 players", 1.5)
        assert responder.requests == 0

# SPDX-License-Identifier: MIT
"""sigrun-agent as a live daemon on the loopback interface, watched through
the NOTIFY_SOCKET systemd would give it (agentctl.Agent): READY=1, the STATUS=
line following a GNS client that connects to a small UDP "game server" the
test runs, SIGTERM, SIGHUP reloads good and bad, a missing interface, the
privilege drop to an unprivileged user, and the live watchdog deciding a stop.

Traffic stays on 127.0.0.1; the game port is a free port picked per test, so
tests never see each other's packets.
"""
import os
import pwd
import re
import signal
import time

import pytest

from agentctl import Agent
from gns import GnsClient, GnsServer

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="live capture needs root (CAP_NET_RAW)")
pytestmark = needs_root


def base_config(port, extra="", capture=""):
    """`extra` continues the watchdog section (or adds sections after it);
    `capture` adds lines to the capture section."""
    return ("capture:\n  interface: lo\n" + capture + "log:\n  source: off\napi:\n  listen: []\n"
            f"game:\n  port: {port}\n"
            # never touch a real unit or the machine, whatever the watchdog decides
            "watchdog:\n  action: none\n  game_unit: sigrun-test-no-such-game.service\n"
            + extra)


@pytest.fixture
def server():
    """The game: answers the GNS handshake and echoes data packets, so the
    agent sees both directions."""
    with GnsServer() as s:
        yield s


def proc_status(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            fields[k] = v.strip()
    return fields


# ---- start, count, stop ---------------------------------------------------------

def test_ready_status_counts_a_player_and_sigterm(server):
    with Agent(base_config(server.port)) as agent:
        agent.wait_ready(5)
        assert re.fullmatch(r"0 players · .+ · up 0s", agent.statuses[-1]), agent.statuses

        client = GnsClient(server.port).connect().play()
        agent.wait_status(r"^1 player · idle stop off · up 0s$", 5)
        time.sleep(1.0)  # data both ways keeps them on
        assert agent.statuses[-1].startswith("1 player ·")
        client.close()
        agent.wait_status(r"^0 players · ", 5)

        err = agent.stderr()
        assert re.search(r"Player joined from 127\.0\.0\.1:\d+, 1 player on\.", err), err
        assert re.search(r"Player at 127\.0\.0\.1:\d+ left \(closed\), 0 players on\.", err), err

        t = time.monotonic()
        assert agent.stop(5) == 0
        assert time.monotonic() - t < 2.0
        while agent._drain(0.2):
            pass
        assert "STOPPING=1" in agent.messages


def test_sighup_bad_config_keeps_the_old_one_and_good_config_applies(server):
    with Agent(base_config(server.port)) as agent:
        agent.wait_ready(5)
        GnsClient(server.port).connect().close()
        agent.wait_status(r"^0 players · stops in 10min · ", 5)

        # A file with a valid change next to errors must not be half-applied.
        agent.config_path.write_text(base_config(server.port, "  idle_timeout: 7min\n  warn_before: banana\n"
                                                 "discord:\n  notify_joins: perhaps\n"))
        agent.signal(signal.SIGHUP)
        agent.wait_for(lambda: "Keeping the running configuration" in agent.stderr(), 5, "the reload to fail")
        err = agent.stderr()
        path = re.escape(str(agent.config_path))
        assert re.search(rf"{path}:13:16: watchdog\.warn_before: .*banana", err), err
        assert re.search(rf"{path}:15:17: discord\.notify_joins: .*perhaps", err), err
        assert agent.proc.poll() is None

        GnsClient(server.port).connect().close()
        agent.wait_for(lambda: sum(s.startswith("1 player") for s in agent.statuses) == 2, 5, "the second player")
        agent.wait_status(r"^0 players · stops in 10min · ", 5)

        agent.config_path.write_text(base_config(server.port, "  idle_timeout: 9min\n"))
        agent.signal(signal.SIGHUP)
        agent.wait_status(r"^0 players · stops in 9min · ", 5)
        agent.wait_for(lambda: "Configuration reloaded." in agent.stderr(), 5, "the reload to be logged")
        assert agent.stop(5) == 0


def test_live_silence_and_mid_session_adoption(server):
    """Live, the deadlines run on the monotonic clock: a player who stops
    sending leaves after capture.peer_timeout, and one already playing when
    the agent started counts after capture.confirm_time of data both ways."""
    with Agent(base_config(server.port, capture="  peer_timeout: 1s\n  confirm_time: 1s\n")) as agent:
        agent.wait_ready(5)
        client = GnsClient(server.port).connect().play()
        agent.wait_status(r"^1 player · ", 5)
        t = time.monotonic()
        client.go_silent()
        agent.wait_status(r"^0 players · ", 5)
        assert 0.8 <= time.monotonic() - t <= 3.0
        assert re.search(r"left \(timeout\), 0 players on\.", agent.stderr())

        client = GnsClient(server.port).play()   # no handshake: already playing
        t = time.monotonic()
        agent.wait_status(r"^1 player · ", 5)
        assert time.monotonic() - t >= 0.8   # not before confirm_time
        client.close()
        agent.wait_status(r"^0 players · ", 5)
        assert agent.stop(5) == 0


def test_sighup_applies_peer_timeout(server):
    with Agent(base_config(server.port)) as agent:
        agent.wait_ready(5)
        agent.config_path.write_text(base_config(server.port, capture="  peer_timeout: 1s\n"))
        agent.signal(signal.SIGHUP)
        agent.wait_for(lambda: "Configuration reloaded." in agent.stderr(), 5, "the reload")
        client = GnsClient(server.port).connect().play()
        agent.wait_status(r"^1 player · ", 5)
        client.go_silent()
        agent.wait_status(r"^0 players · ", 4)


def test_missing_interface_is_a_failed_source_not_an_exit(server):
    # An agent that exits can never stop the instance: it keeps running, says
    # why, counts players as unknown (never as zero) and retries the capture;
    # READY=1 waits for the capture.
    config = base_config(server.port).replace("interface: lo", "interface: sigrun-nosuch0")
    with Agent(config) as agent:
        agent.wait_status(r"^players unknown · ", 5)
        assert not agent.ready
        err = agent.stderr()
        assert "sigrun-nosuch0" in err and "capture" in err.lower(), err
        assert agent.proc.poll() is None


def test_privilege_drop_to_nobody_still_counts(server):
    with Agent(base_config(server.port, "agent:\n  user: nobody\n")) as agent:
        agent.wait_ready(5)
        st = proc_status(agent.proc.pid)
        nobody = str(pwd.getpwnam("nobody").pw_uid)
        assert st["Uid"].split() == [nobody] * 4
        # initgroups(): nobody's own groups, nothing of root's
        assert st["Groups"].split() == [str(g) for g in os.getgrouplist("nobody", pwd.getpwnam("nobody").pw_gid)]
        assert st["CapEff"] == "0000000000002000"   # CAP_NET_RAW only
        assert st["CapPrm"] == "0000000000002000"

        client = GnsClient(server.port).connect().play()
        agent.wait_status(r"^1 player · ", 5)
        client.close()
        agent.wait_status(r"^0 players · ", 5)
        assert agent.stop(5) == 0


def test_watchdog_decides_a_stop_live(server):
    extra = "  startup_grace: 2s\n  idle_timeout: 2s\n  warn_before: 0s\n"
    with Agent(base_config(server.port, extra)) as agent:
        agent.wait_ready(5)
        agent.wait_for(lambda: "Stopping the server" in agent.stderr(), 8, "the stop decision")
        err = agent.stderr()
        assert re.search(r"Stopping the server \(startup_grace\): game first, then none\.", err), err
        agent.wait_status(r"· stopping ·", 5)
        # action none: the machine stays up, and the agent with it until told to go
        time.sleep(0.5)
        assert agent.proc.poll() is None
        assert agent.stop(5) == 0


def test_watchdog_log_says_when(server):
    with Agent(base_config(server.port)) as agent:
        agent.wait_ready(5)
        GnsClient(server.port).connect().close()
        agent.wait_status(r"^0 players · stops in 10min · ", 5)
        err = agent.stderr()
        assert "Watchdog: idle_started (idle), stop in 10min." in err, err


def test_sighup_with_unchanged_config_keeps_the_countdown(server):
    extra = "  startup_grace: 3s\n  idle_timeout: 3s\n  warn_before: 0s\n"
    with Agent(base_config(server.port, extra)) as agent:
        agent.wait_ready(5)
        agent.wait_status(r"startup grace", 5)
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline and "Stopping the server" not in agent.stderr():
            agent.signal(signal.SIGHUP)
            time.sleep(1.0)
        assert "Stopping the server" in agent.stderr()

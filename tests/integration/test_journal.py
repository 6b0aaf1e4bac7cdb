"""Joins, leaves and watchdog decisions reach a real journald with their
structured fields (SIGRUN_EVENT=, SIGRUN_PLAYERS=, SIGRUN_REASON=).

journald runs in a private mount namespace of the test (journald-ns.sh), so
nothing touches the machine's journal; the test reads the journal files back
with journalctl --directory.
"""
import json
import os
import signal
import subprocess

import pytest

from agentctl import Agent
from conftest import SRCDIR
from gns import GnsClient, GnsServer

WRAPPER = SRCDIR / "tests" / "integration" / "journald-ns.sh"

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists("/lib/systemd/systemd-journald"),
                                reason="needs root and systemd-journald")


def read_journal(directory):
    out = subprocess.run(["journalctl", "--directory", str(directory), "-o", "json", "--no-pager"],
                         capture_output=True, text=True, check=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_join_leave_and_decisions_are_structured_journal_entries(tmp_path):
    jdir = tmp_path / "journal"
    with GnsServer() as server:
        config = (f"game:\n  port: {server.port}\ncapture:\n  interface: lo\nlog:\n  source: off\n"
                  "api:\n  listen: []\n"
                  "watchdog:\n  startup_grace: 1h\n  idle_timeout: 1h\n  action: none\n")
        agent = Agent(config, args=["--log-target=journal"],
                      wrapper=["unshare", "-m", str(WRAPPER), str(jdir)])
        try:
            with agent:
                agent.wait_ready()
                client = GnsClient(server.port).connect()
                agent.wait_status(r"^1 player\b")
                client.send_data()
                client.close()
                agent.wait_status(r"^0 players")
        finally:
            pid_file = jdir / "journald.pid"
            if pid_file.exists():
                try:
                    os.kill(int(pid_file.read_text()), signal.SIGTERM)
                except ProcessLookupError:
                    pass

    entries = [e for e in read_journal(jdir / "log" / "journal") if "SIGRUN_EVENT" in e]
    events = [e["SIGRUN_EVENT"] for e in entries]
    assert "player_joined" in events and "player_left" in events, events
    joined = next(e for e in entries if e["SIGRUN_EVENT"] == "player_joined")
    left = next(e for e in entries if e["SIGRUN_EVENT"] == "player_left")
    assert joined["SIGRUN_PLAYERS"] == "1"
    assert joined["MESSAGE"].startswith("Player joined from 127.0.0.1:")
    assert left["SIGRUN_PLAYERS"] == "0"
    assert left["SIGRUN_REASON"] == "closed"
    assert left["PRIORITY"] == "6"
    # The watchdog's reaction to the empty server is in the journal too.
    assert "idle_started" in events[events.index("player_left"):], events

"""The inhibit survives an agent restart (issue 5): `sigrun-agent inhibit 2h`
holds off idle stops, the agent restarts, and the stop is still held off
until the same time; `inhibit 0` clears it for good."""
import json
import socket
import subprocess
import time
import urllib.request

from agentctl import AGENT, Agent

KEY = "5e" * 32


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/status", timeout=5) as r:
        return json.loads(r.read())


def test_inhibit_survives_a_restart_and_holds_off_the_stop(tmp_path):
    api = free_port()
    game = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)   # the "game" listens: ready
    game.bind(("127.0.0.1", 0))
    config = (f"game:\n  port: {game.getsockname()[1]}\ncapture:\n  interface: lo\nlog:\n  source: off\n"
              f"api:\n  listen: [\"127.0.0.1:{api}\"]\n  key: {KEY}\n"
              f"agent:\n  state_directory: {tmp_path}\n"
              "watchdog:\n  startup_grace: 3s\n  idle_timeout: 3s\n  warn_before: 0s\n  action: none\n")
    cfg = tmp_path / "agent.yaml"
    cfg.write_text(config)

    def cli(*args):
        return subprocess.run([str(AGENT), "--config", str(cfg), *args], capture_output=True, text=True, timeout=30)

    try:
        with Agent(config_path=cfg) as agent:
            agent.wait_ready()
            p = cli("inhibit", "2h")
            assert p.returncode == 0, p.stderr
            until = status(api)["watchdog"]["inhibited_until"]
            assert until
            agent.wait_status(r"inhibited")
        assert (tmp_path / "inhibit").exists()

        # After the restart: same deadline, and no stop although nobody plays
        # for longer than the grace and the idle timeout.
        with Agent(config_path=cfg) as agent:
            agent.wait_ready()
            assert status(api)["watchdog"]["inhibited_until"] == until
            time.sleep(5)
            assert "Stopping the server" not in agent.stderr()
            assert status(api)["watchdog"]["state"] == "inhibited"

            # Cleared: the idle countdown runs again and ends in a stop.
            p = cli("inhibit", "0")
            assert p.returncode == 0, p.stderr
            agent.wait_for(lambda: "Stopping the server" in agent.stderr(), 10, "the idle stop")
        assert not (tmp_path / "inhibit").exists()

        with Agent(config_path=cfg) as agent:
            agent.wait_ready()
            assert status(api)["watchdog"]["inhibited_until"] is None
    finally:
        game.close()

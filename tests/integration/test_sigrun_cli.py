"""sigrun, the workstation CLI: slash command registration against a fake
Discord API (with 429s), and the three server commands against the fake EC2
(SigV4 checked with botocore) and fake agent (HMAC checked)."""
import os
import subprocess
import time

import pytest

from lambdactl import AGENT_KEY_HEX, REGION, FakeAgent, FakeEC2
from fake_discord import FakeDiscord
from fake_ec2 import ACCESS_KEY, SECRET_KEY


@pytest.fixture
def cli(builddir, tmp_path):
    discord = FakeDiscord().start()
    ec2 = FakeEC2(region=REGION, token=None).start()
    agent = FakeAgent(AGENT_KEY_HEX, players=["Ragnar"]).start()
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "credentials").write_text(
        f"[default]\naws_access_key_id = AKIDWRONG\naws_secret_access_key = wrong\n\n"
        f"[sigrun]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n")
    # Settings come from sigrun.env in the working directory.
    (tmp_path / "sigrun.env").write_text(
        "# sigrun settings\n"
        "DISCORD_APPLICATION_ID=400000000000000004\n"
        "DISCORD_BOT_TOKEN=bot-token\n"
        f"SIGRUN_DISCORD_API={discord.base}\n"
        f"SIGRUN_AGENT_KEY={AGENT_KEY_HEX}\n"
        f"SIGRUN_AGENT_PORT={agent.port}\n"
        f"AWS_REGION={REGION}\n"
        f"AWS_ENDPOINT_URL={ec2.endpoint}\n"
        "AWS_PROFILE=sigrun\n")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home)}
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
        if k in os.environ:
            env[k] = os.environ[k]

    def run(*args, check=True, extra_env=None):
        p = subprocess.run([str(builddir / "lambda" / "sigrun"), *args], cwd=tmp_path, env=dict(env, **(extra_env or {})),
                           capture_output=True, text=True, timeout=60)
        if check:
            assert p.returncode == 0, p.stderr
        return p

    run.discord, run.ec2, run.agent = discord, ec2, agent
    yield run
    discord.stop()
    ec2.stop()
    agent.stop()
    assert not ec2.auth_failures, ec2.auth_failures
    assert not agent.auth_failures, agent.auth_failures


def by_name(cmds):
    return {c["name"]: c for c in cmds}


def test_register_global_one_world(cli):
    cli.ec2.add_instance("i-0aaa", state="stopped", world="Midgard")
    p = cli("register")
    assert "Registered 3 commands globally" in p.stdout
    cmds = by_name(cli.discord.global_commands)
    assert set(cmds) == {"server-status", "start-server", "stop-server"}
    for c in cmds.values():
        assert c["default_member_permissions"] is None
        w = c["options"][0]
        assert w["name"] == "world" and w["type"] == 3 and w["autocomplete"] is True
        assert w["required"] is False  # one world: may be omitted
    assert [o["name"] for o in cmds["stop-server"]["options"]] == ["world", "force"]
    assert cmds["stop-server"]["options"][1]["type"] == 5


def test_register_guild_several_worlds_requires_world(cli):
    cli.ec2.add_instance("i-0aaa", state="stopped", world="Midgard")
    cli.ec2.add_instance("i-0bbb", state="stopped", world="Vanaheim")
    cli("register", "--guild", "500000000000000005")
    assert cli.discord.global_commands == []
    cmds = by_name(cli.discord.guild_commands["500000000000000005"])
    assert cmds["start-server"]["options"][0]["required"] is True


def test_register_is_a_bulk_overwrite(cli):
    cli("register")
    first = {c["id"] for c in cli.discord.global_commands}
    cli("register")
    assert len(cli.discord.global_commands) == 3
    assert first.isdisjoint({c["id"] for c in cli.discord.global_commands})


def test_register_waits_out_429(cli):
    cli.discord.rate_limit(times=2, retry_after=0.4)
    cli("register")
    puts = [r for r in cli.discord.requests if r[1] == "PUT"]
    assert [r[3] for r in puts] == [429, 429, 200]
    assert puts[1][0] - puts[0][0] >= 0.38 and puts[2][0] - puts[1][0] >= 0.38
    assert len(cli.discord.global_commands) == 3


def test_list_and_delete(cli):
    cli("register")
    out = cli("list").stdout
    for name in ("server-status", "start-server", "stop-server"):
        assert name in out
    cli("delete", "stop-server")
    assert set(by_name(cli.discord.global_commands)) == {"server-status", "start-server"}
    p = cli("delete", "stop-server", check=False)
    assert p.returncode == 1 and "No command named stop-server" in p.stderr


def test_bad_bot_token(cli):
    p = cli("register", check=False, extra_env={"DISCORD_BOT_TOKEN": "nope"})
    assert p.returncode == 1 and "HTTP 401" in p.stderr
    assert cli.discord.global_commands == []


def test_server_status(cli):
    cli.ec2.add_instance("i-0aaa", state="running", ip="127.0.0.1", world="Midgard")
    out = cli("server-status").stdout
    assert out.startswith("Midgard is running\n")
    assert "Address:   127.0.0.1:2456" in out
    assert "• Ragnar" in out


def test_start_and_stop(cli):
    cli.ec2.add_instance("i-0aaa", state="stopped", world="Midgard")
    out = cli("start-server", "Midgard").stdout
    assert "Midgard is starting" in out
    assert cli.ec2.instances["i-0aaa"].state == "pending"
    cli.ec2.instances["i-0aaa"].state = "running"
    cli.ec2.instances["i-0aaa"].ip = "127.0.0.1"
    p = cli("stop-server", check=False)
    assert p.returncode == 1 and "Ragnar" in p.stderr and cli.agent.shutdowns == []
    cli("stop-server", "--force")
    assert cli.agent.shutdowns == [True]


def test_aws_error_exit_status(cli):
    cli.ec2.add_instance("i-0aaa", state="stopped", world="Midgard")
    cli.ec2.fail_next("StartInstances", "UnauthorizedOperation", 403)
    p = cli("start-server", check=False)
    assert p.returncode == 1
    assert "UnauthorizedOperation" in p.stderr


def test_environment_wins_over_file(cli):
    cli.ec2.add_instance("i-0aaa", state="stopped", world="Midgard")
    p = cli("server-status", check=False, extra_env={"AWS_PROFILE": "default"})
    assert p.returncode == 1 and "AuthFailure" in p.stderr
    cli.ec2.auth_failures.clear()

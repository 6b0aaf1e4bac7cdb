"""The Lambda (lambda/bootstrap) against a fake runtime API, a fake EC2 that
verifies SigV4 with botocore, and a fake agent that verifies the HMAC."""
import time

import nacl.signing
import pytest

from lambdactl import (AGENT_KEY_HEX, Harness, embed, ephemeral, field, function_url_event, interaction, world)


@pytest.fixture
def lam(builddir):
    h = Harness(builddir)
    h.ec2.add_instance("i-0aaa", state="running", ip="127.0.0.1", world="Midgard")
    h.start()
    yield h
    err = h.stop()
    assert not h.ec2.auth_failures, h.ec2.auth_failures
    assert not h.agent.auth_failures, h.agent.auth_failures
    assert "Sanitizer" not in err and "runtime error" not in err, err
    assert "Failed to get the next invocation" in err  # it noticed and left


def set_state(h, state, iid="i-0aaa"):
    h.ec2.instances[iid].state = state


# ---- the request itself ----

def test_ping_gets_pong(lam):
    assert lam.call({"type": 1}) == (200, {"type": 1})
    assert lam.ec2.calls == []


def test_base64_body_is_verified_decoded(lam):
    assert lam.call({"type": 1}, b64=True) == (200, {"type": 1})


@pytest.mark.parametrize("case", ["wrong-key", "tampered", "no-signature", "no-timestamp", "other-timestamp",
                                  "not-hex", "short"])
def test_bad_signatures_get_401(lam, case):
    body = b'{"type":1}'
    ts = str(int(time.time()))
    good = nacl.signing.SigningKey(bytes(range(32))).sign(ts.encode() + body).signature.hex()
    other = nacl.signing.SigningKey(bytes(32)).sign(ts.encode() + body).signature.hex()
    kw = {
        "wrong-key": {"signature": other},
        "tampered": {"signature": good[:-2] + ("00" if good[-2:] != "00" else "01")},
        "no-signature": {"signature": False},
        "no-timestamp": {"signature": good, "ts": False},
        "other-timestamp": {"signature": good, "ts": str(int(ts) + 1)},
        "not-hex": {"signature": "zz" * 64},
        "short": {"signature": good[:64]},
    }[case]
    kind, res = lam.runtime.invoke(function_url_event(body, **kw))
    assert kind == "response"
    assert res["statusCode"] == 401
    # Nothing past the signature check happened.
    assert lam.ec2.calls == [] and lam.agent.requests == []


def test_bad_signature_on_a_command_is_not_acted_on(lam):
    set_state(lam, "stopped")
    body = interaction("start-server")
    kind, res = lam.runtime.invoke(function_url_event(body, key=nacl.signing.SigningKey(bytes(32))))
    assert res["statusCode"] == 401
    assert lam.ec2.calls == []
    assert lam.ec2.instances["i-0aaa"].state == "stopped"


def test_malformed_json_after_valid_signature_gets_400(lam):
    assert lam.call(b'{"type": 1,')[0] == 400
    assert lam.call(b'[1,2,3]')[0] == 400
    assert lam.call(b'{"type": "one"}')[0] == 400


def test_oversized_body_refused(lam):
    big = b'{"type":1,"pad":"' + b"x" * (64 * 1024) + b'"}'
    assert lam.call(big)[0] == 413
    assert lam.call(big, b64=True)[0] == 413
    # Just under the limit is fine.
    ok = b'{"type":1,"pad":"' + b"x" * (64 * 1024 - 30) + b'"}'
    assert lam.call(ok) == (200, {"type": 1})


def test_process_serves_many_invocations(lam):
    for _ in range(20):
        assert lam.call({"type": 1}) == (200, {"type": 1})
    # Each answer is followed by the next `next` (one process, many invocations).
    deadline = time.monotonic() + 5
    while lam.runtime.next_calls < 21 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert lam.runtime.next_calls == 21
    assert lam.proc.poll() is None


# ---- server-status ----

def test_status_running_with_players(lam):
    lam.agent.stop_at = int(time.time()) + 900
    data = lam.command("server-status")
    e = embed(data)
    assert e["title"] == "Midgard is running"
    assert e["color"] == 0x2ecc71
    assert field(data, "Address") == "`127.0.0.1:2456`"
    assert field(data, "Players") == "• Ragnar\n• Freya"
    assert field(data, "Uptime") == "1 h 2 min"
    assert field(data, "Idle stop") == f"<t:{lam.agent.stop_at}:R>"
    assert not ephemeral(data)
    # /v1/players was signed and accepted.
    assert ("GET", "/v1/players", True) in lam.agent.requests


@pytest.mark.parametrize("state,title,colour", [
    ("stopped", "Midgard is stopped", 0x95a5a6),
    ("pending", "Midgard is starting", 0xf1c40f),
    ("stopping", "Midgard is shutting down", 0xe67e22),
])
def test_status_other_states(lam, state, title, colour):
    set_state(lam, state)
    data = lam.command("server-status")
    assert embed(data)["title"] == title
    assert embed(data)["color"] == colour
    assert field(data, "Address") is None
    assert lam.agent.requests == []


def test_status_player_without_a_name(lam):
    lam.agent.players = ["Ragnar", None]
    assert field(lam.command("server-status"), "Players") == "• Ragnar\n• unknown player"


def test_status_agent_down_says_so(lam):
    lam.ec2.instances["i-0aaa"].ip = "127.0.0.3"
    data = lam.command("server-status")
    assert embed(data)["title"] == "Midgard is running"
    assert field(data, "Address") == "`127.0.0.3:2456`"
    assert "agent" in embed(data)["footer"]["text"]


def test_status_slow_agent_answers_within_budget(lam):
    lam.agent.delay = 5
    t0 = time.monotonic()
    data = lam.command("server-status")
    assert time.monotonic() - t0 < 3.0
    assert embed(data)["title"] == "Midgard is running"
    assert "did not answer in time" in embed(data)["footer"]["text"]


def test_status_game_not_ready(lam):
    lam.agent.ready = False
    lam.agent.players = []
    data = lam.command("server-status")
    assert "still loading" in embed(data)["description"]
    assert field(data, "Players") == "0"


# ---- start-server ----

def test_start_stopped_calls_start_instances(lam):
    set_state(lam, "stopped")
    data = lam.command("start-server")
    assert "starting, I will post when it is ready" in embed(data)["description"]
    assert lam.ec2.actions() == ["DescribeInstances", "StartInstances"]
    assert lam.ec2.calls[1][1]["InstanceId.1"] == "i-0aaa"
    assert lam.ec2.instances["i-0aaa"].state == "pending"
    # And the next start says it is already starting, without a second call.
    data = lam.command("start-server")
    assert embed(data)["title"] == "Midgard is already starting"
    assert lam.ec2.actions().count("StartInstances") == 1


def test_start_running_reports_address_and_players_without_ec2_start(lam):
    data = lam.command("start-server")
    assert embed(data)["description"] == "Midgard is already running at `127.0.0.1:2456` with 2 players."
    assert "StartInstances" not in lam.ec2.actions()


def test_start_stopping_asks_to_wait(lam):
    set_state(lam, "stopping")
    data = lam.command("start-server")
    assert "shutting down, try again in a minute" in embed(data)["description"]
    assert ephemeral(data)
    assert "StartInstances" not in lam.ec2.actions()


# ---- stop-server ----

def test_stop_refused_with_players_names_them(lam):
    data = lam.command("stop-server")
    assert ephemeral(data)
    assert "Ragnar" in embed(data)["description"] and "Freya" in embed(data)["description"]
    assert lam.agent.shutdowns == []
    assert "StopInstances" not in lam.ec2.actions()


def test_stop_forced(lam):
    data = lam.command("stop-server", [{"type": 5, "name": "force", "value": True}])
    assert embed(data)["title"] == "Stopping Midgard"
    assert lam.agent.shutdowns == [True]


def test_stop_without_players_is_graceful(lam):
    lam.agent.players = []
    data = lam.command("stop-server")
    assert embed(data)["title"] == "Stopping Midgard"
    assert not ephemeral(data)
    assert lam.agent.shutdowns == [False]
    assert "StopInstances" not in lam.ec2.actions()


def test_stop_agent_down_uses_ec2(lam):
    lam.ec2.instances["i-0aaa"].ip = "127.0.0.3"
    data = lam.command("stop-server")
    assert "asked EC2 to stop" in embed(data)["description"]
    assert lam.ec2.actions() == ["DescribeInstances", "StopInstances"]
    assert lam.ec2.instances["i-0aaa"].state == "stopping"


@pytest.mark.parametrize("state,title", [("stopped", "Midgard is already stopped"),
                                         ("stopping", "Midgard is already shutting down"),
                                         ("pending", "Midgard is still starting")])
def test_stop_other_states(lam, state, title):
    set_state(lam, state)
    data = lam.command("stop-server")
    assert embed(data)["title"] == title
    assert "StopInstances" not in lam.ec2.actions() and lam.agent.shutdowns == []


# ---- worlds ----

@pytest.fixture
def worlds(builddir):
    h = Harness(builddir)
    h.ec2.add_instance("i-0aaa", state="running", ip="127.0.0.1", world="Midgard")
    h.ec2.add_instance("i-0bbb", state="stopped", world="Vanaheim")
    h.ec2.add_instance("i-0ccc", state="stopped", world="Valhalla")
    h.ec2.add_instance("i-0ddd", state="running", ip="127.0.0.1", tags={"Name": "not a world"})
    h.start()
    yield h
    h.stop()
    assert not h.ec2.auth_failures


def test_several_worlds_need_a_name(worlds):
    data = worlds.command("server-status")
    assert ephemeral(data)
    assert "Midgard" in embed(data)["description"] and "Vanaheim" in embed(data)["description"]
    assert "not a world" not in embed(data)["description"]


def test_world_option_selects(worlds):
    assert embed(worlds.command("server-status", [world("vanaheim")]))["title"] == "Vanaheim is stopped"
    worlds.command("start-server", [world("Valhalla")])
    assert worlds.ec2.instances["i-0ccc"].state == "pending"
    assert worlds.ec2.instances["i-0bbb"].state == "stopped"
    data = worlds.command("server-status", [world("Asgard")])
    assert ephemeral(data) and embed(data)["title"] == "Unknown world"


def test_autocomplete(worlds):
    body = interaction("start-server", [{"type": 3, "name": "world", "value": "va", "focused": True}], type_=4)
    status, res = worlds.call(body)
    assert status == 200
    assert res == {"type": 8, "data": {"choices": [{"name": "Valhalla", "value": "Valhalla"},
                                                   {"name": "Vanaheim", "value": "Vanaheim"}]}}
    body = interaction("server-status", [{"type": 3, "name": "world", "value": "", "focused": True}], type_=4)
    assert [c["name"] for c in worlds.call(body)[1]["data"]["choices"]] == ["Midgard", "Valhalla", "Vanaheim"]


def test_no_world_tag_at_all(builddir):
    h = Harness(builddir)
    h.start()
    try:
        data = h.command("server-status")
        assert ephemeral(data) and embed(data)["title"] == "No world found"
    finally:
        h.stop()


# ---- authorization ----

def test_operator_roles(builddir):
    h = Harness(builddir, env={"SIGRUN_OPERATOR_ROLES": "700000000000000007,700000000000000008"})
    h.ec2.add_instance("i-0aaa", state="stopped", world="Midgard")
    h.start()
    try:
        data = h.command("start-server", roles=["123"])
        assert ephemeral(data) and embed(data)["title"] == "Not allowed"
        assert h.ec2.calls == []
        # Status is open to everyone.
        assert embed(h.command("server-status"))["title"] == "Midgard is stopped"
        data = h.command("start-server", roles=["123", "700000000000000008"])
        assert "I will post when it is ready" in embed(data)["description"]
        assert h.ec2.instances["i-0aaa"].state == "pending"
    finally:
        h.stop()


# ---- AWS errors ----

@pytest.mark.parametrize("action,code,status,words", [
    ("StartInstances", "UnauthorizedOperation", 403, "UnauthorizedOperation"),
    ("StartInstances", "IncorrectInstanceState", 400, "IncorrectInstanceState"),
    ("DescribeInstances", "RequestLimitExceeded", 503, "throttling"),
    ("DescribeInstances", "InternalError", 500, "InternalError"),
])
def test_aws_errors_are_ephemeral_messages(lam, action, code, status, words):
    set_state(lam, "stopped")
    lam.ec2.fail_next(action, code, status)
    data = lam.command("start-server")
    assert ephemeral(data)
    assert embed(data)["color"] == 0xe74c3c
    assert words in embed(data)["description"]


def test_wrong_aws_secret(builddir):
    h = Harness(builddir, env={"AWS_SECRET_ACCESS_KEY": "not-the-secret"})
    h.start()
    try:
        data = h.command("server-status")
        assert ephemeral(data) and "AuthFailure" in embed(data)["description"]
        assert h.ec2.auth_failures and "signature mismatch" in h.ec2.auth_failures[0]
    finally:
        h.stop()


def test_no_session_token_no_header(builddir):
    # Long-term keys: an empty AWS_SESSION_TOKEN must not become an empty header.
    h = Harness(builddir, env={"AWS_SESSION_TOKEN": ""}, ec2_token=None)
    h.ec2.add_instance("i-0aaa", state="stopped", world="Midgard")
    h.start()
    try:
        assert embed(h.command("server-status"))["title"] == "Midgard is stopped"
        assert not h.ec2.auth_failures
    finally:
        h.stop()


def test_slow_ec2_answers_within_budget(lam):
    lam.ec2.delay = 4
    t0 = time.monotonic()
    data = lam.command("server-status")
    assert time.monotonic() - t0 < 3.0
    assert ephemeral(data) and "did not answer in time" in embed(data)["description"]


def test_ec2_unreachable(builddir):
    h = Harness(builddir, env={"AWS_ENDPOINT_URL_EC2": "http://127.0.0.1:9/"})
    h.start()
    try:
        data = h.command("server-status")
        assert ephemeral(data) and "Could not reach EC2" in embed(data)["description"]
    finally:
        h.stop()


def test_endpoint_url_fallback(builddir):
    h = Harness(builddir)
    h.env["AWS_ENDPOINT_URL"] = h.env.pop("AWS_ENDPOINT_URL_EC2")
    h.ec2.add_instance("i-0aaa", state="stopped", world="Midgard")
    h.start()
    try:
        assert embed(h.command("server-status"))["title"] == "Midgard is stopped"
    finally:
        h.stop()


# ---- configuration ----

@pytest.mark.parametrize("key", [None, "abc", "zz" * 32])
def test_bad_public_key_is_an_init_error(builddir, key):
    h = Harness(builddir, env={"DISCORD_PUBLIC_KEY": key})
    h.start()
    try:
        headers, body = h.runtime.wait_init_error()
        assert b"DISCORD_PUBLIC_KEY" in body
        assert headers.get("Lambda-Runtime-Function-Error-Type") == "Runtime.ConfigError"
        assert h.proc.wait(timeout=10) != 0
        assert h.runtime.next_calls == 0
    finally:
        h.stop()


# ---- against the real agent ----

REAL_AGENT_PORT = 18476


@pytest.fixture
def real_agent(tmp_path):
    from agentctl import AGENT, Agent
    if not AGENT.exists():
        pytest.skip("agent/sigrun-agent not built")
    text = (f'api:\n  listen: ["127.0.0.1:{REAL_AGENT_PORT}"]\n  key: {AGENT_KEY_HEX}\n'
            "capture:\n  interface: lo\nlog:\n  source: off\n"
            "watchdog:\n  action: none\n  game_unit: sigrun-lambda-test-nonexistent.service\n"
            "  game_stop_timeout: 1s\n"
            f"agent:\n  state_directory: {tmp_path}\n")
    with Agent(text, env={"DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/nonexistent"}) as a:
        a.wait_ready()
        yield a


def test_with_the_real_agent(builddir, real_agent):
    """The HMAC, the JSON shapes and the shutdown protocol as sigrun-agent speaks them."""
    h = Harness(builddir, env={"SIGRUN_AGENT_PORT": str(REAL_AGENT_PORT)})
    h.ec2.add_instance("i-0aaa", state="running", ip="127.0.0.1", world="Midgard")
    h.start()
    try:
        data = h.command("server-status")
        assert field(data, "Address") == "`127.0.0.1:2456`"
        assert field(data, "Players") == "0"
        assert "footer" not in embed(data), embed(data)  # the agent answered everything
        data = h.command("stop-server")
        assert embed(data)["title"] == "Stopping Midgard", data
        assert not ephemeral(data) and "agent is stopping the game" in embed(data)["description"], data
        assert "StopInstances" not in h.ec2.actions()
    finally:
        h.stop()

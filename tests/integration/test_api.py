"""The agent's connection API against the real daemon (issue 4, brief §3).

Every authenticated request here is signed independently of the C code, with
Python's hmac and hashlib, following the canonical string of §3:

    M = timestamp "\\n" nonce "\\n" METHOD "\\n" path-and-query "\\n" hex(SHA-256(body))

The agent runs with watchdog.action none, a game unit that does not exist and
no reachable system bus, so a granted shutdown request stops nothing here.
"""
import hashlib
import hmac
import http.client
import json
import os
import re
import socket
import subprocess
import time

import pytest

from agentctl import AGENT, Agent

PORT = 18456
KEY = bytes(range(32))
OTHER_KEY = bytes([0x55] * 32)


def config(tmp_path, key=KEY, port=PORT, extra=""):
    text = (f'api:\n  listen: ["127.0.0.1:{port}"]\n'
            + (f"  key: {key.hex()}\n" if key else "")
            + "  connection_timeout: 2s\n"
            "capture:\n  interface: lo\n"
            "log:\n  source: off\n"
            "watchdog:\n  action: none\n  game_unit: sigrun-api-test-nonexistent.service\n"
            "  game_stop_timeout: 1s\n"
            f"agent:\n  state_directory: {tmp_path}\n" + extra)
    return text


def sign(method, target, body=b"", key=KEY, ts=None, nonce=None):
    ts = int(time.time()) if ts is None else ts
    nonce = os.urandom(16).hex() if nonce is None else nonce
    m = f"{ts}\n{nonce}\n{method}\n{target}\n{hashlib.sha256(body).hexdigest()}".encode()
    return {
        "X-Sigrun-Timestamp": str(ts),
        "X-Sigrun-Nonce": nonce,
        "X-Sigrun-Signature": hmac.new(key, m, hashlib.sha256).hexdigest(),
    }


def request(method, target, body=None, headers=None, source="127.0.0.1", timeout=5, port=PORT):
    """One request on a fresh connection; returns (status, response, parsed JSON)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=(source, 0))
    try:
        conn.request(method, target, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        assert resp.getheader("Content-Type") == "application/json", (resp.status, data)
        return resp.status, resp, json.loads(data)
    finally:
        conn.close()


def signed(method, target, obj=None, key=KEY, source="127.0.0.1", port=PORT, **kw):
    body = json.dumps(obj).encode() if obj is not None else b""
    return request(method, target, body=body or None, headers=sign(method, target, body, key=key, **kw),
                   source=source, port=port)


def assert_error(status, body, expected):
    assert status == expected, body
    assert set(body) == {"error"} and isinstance(body["error"], str) and body["error"]


@pytest.fixture(scope="module")
def agent(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("api")
    with Agent(config(tmp), env={"DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/nonexistent"}) as a:
        a.wait_ready()
        yield a
        # a clean exit after all of the below (under --enable-asan: no leaks either)
        rc = a.stop()
        assert rc == 0, a.stderr_path.read_text()[-3000:]


# ---- endpoints -----------------------------------------------------------------

def test_status_is_public(agent):
    status, resp, body = request("GET", "/v1/status")
    assert status == 200
    assert body["players"] == 0
    assert isinstance(body["ready"], bool)
    assert "watchdog" in body and "uptime" in body
    # the query is not part of the route
    assert request("GET", "/v1/status?x=1")[0] == 200


def test_players_signed(agent):
    status, _, body = signed("GET", "/v1/players")
    assert status == 200
    assert body["players"] == 0 and body["list"] == []
    assert any(s["name"] == "capture" for s in body["sources"])
    # path-and-query is signed as sent
    assert signed("GET", "/v1/players?verbose=1")[0] == 200


def test_inhibit(agent):
    status, _, body = signed("POST", "/v1/inhibit", {"seconds": 7200})
    assert status == 200, body
    assert body["inhibited_until"]
    _, _, st = request("GET", "/v1/status")
    assert st["watchdog"]["inhibited_until"] == body["inhibited_until"]

    status, _, body = signed("POST", "/v1/inhibit", {"seconds": 0})
    assert status == 200 and body["inhibited_until"] is None
    _, _, st = request("GET", "/v1/status")
    assert st["watchdog"]["inhibited_until"] is None


def test_not_found_and_wrong_method(agent):
    for target in ("/", "/v1/", "/v1/status/", "/v1/Status", "/v2/status", "/v1/%73tatus"):
        assert_error(*request("GET", target)[::2], 404)
    status, resp, body = request("POST", "/v1/status", body=b"{}")
    assert_error(status, body, 405)
    assert resp.getheader("Allow") == "GET"
    status, resp, body = request("GET", "/v1/shutdown")
    assert_error(status, body, 405)
    assert resp.getheader("Allow") == "POST"
    assert_error(*request("DELETE", "/v1/players")[::2], 405)


def test_malformed_json(agent):
    for body in (b"{", b"not json", b"[]", b'{"seconds": "2h"}', b'{"seconds": -5}'):
        status, _, answer = request("POST", "/v1/inhibit", body=body, headers=sign("POST", "/v1/inhibit", body))
        assert_error(status, answer, 400)
    body = b'{"force": "yes"}'
    status, _, answer = request("POST", "/v1/shutdown", body=body, headers=sign("POST", "/v1/shutdown", body))
    assert_error(status, answer, 400)


def test_oversized_body(agent):
    body = b'{"seconds": 1, "pad": "' + b"x" * 5000 + b'"}'
    # declared: refused from the headers, signed or not
    for headers in ({}, sign("POST", "/v1/inhibit", body)):
        assert_error(*request("POST", "/v1/inhibit", body=body, headers=headers)[::2], 413)
    # exactly at the limit is not too large
    pad = b'{"seconds": 0, "pad": "' + b"x" * (4096 - 25) + b'"}'
    assert len(pad) == 4096
    assert request("POST", "/v1/inhibit", body=pad, headers=sign("POST", "/v1/inhibit", pad))[0] == 200

    # undeclared (chunked), with credentials so that the headers pass:
    # refused once it grows past the limit
    chunk = b"x" * 1000
    auth = "".join(f"{k}: {v}\r\n" for k, v in sign("POST", "/v1/inhibit", chunk * 6).items()).encode()
    s = socket.create_connection(("127.0.0.1", PORT), timeout=5)
    try:
        s.sendall(b"POST /v1/inhibit HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n" + auth + b"\r\n")
        for _ in range(6):
            s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        s.sendall(b"0\r\n\r\n")
        answer = s.recv(65536)
    finally:
        s.close()
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]

    # an endless one is cut off instead of read forever
    s = socket.create_connection(("127.0.0.1", PORT), timeout=5)
    sent = 0
    try:
        s.sendall(b"POST /v1/inhibit HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n" + auth + b"\r\n")
        with pytest.raises((BrokenPipeError, ConnectionResetError)):
            while sent < 50_000_000:
                s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
    finally:
        s.close()
    assert sent < 10_000_000   # what the socket buffers took before the hang-up


# ---- authentication --------------------------------------------------------------

def test_missing_headers(agent):
    full = sign("GET", "/v1/players")
    for missing in full:
        headers = {k: v for k, v in full.items() if k != missing}
        assert_error(*request("GET", "/v1/players", headers=headers, source="127.0.0.5")[::2], 401)
    assert_error(*request("POST", "/v1/shutdown", body=b"{}", source="127.0.0.5")[::2], 401)


def test_bad_signature_and_wrong_key(agent):
    headers = sign("GET", "/v1/players")
    headers["X-Sigrun-Signature"] = ("0" if headers["X-Sigrun-Signature"][0] != "0" else "1") + \
        headers["X-Sigrun-Signature"][1:]
    assert_error(*request("GET", "/v1/players", headers=headers, source="127.0.0.6")[::2], 401)
    assert_error(*signed("GET", "/v1/players", key=OTHER_KEY, source="127.0.0.6")[::2], 401)
    # signed for one body, sent with another
    headers = sign("POST", "/v1/inhibit", b'{"seconds": 60}')
    assert_error(*request("POST", "/v1/inhibit", body=b'{"seconds": 61}', headers=headers,
                          source="127.0.0.6")[::2], 401)
    # signed for another path
    headers = sign("POST", "/v1/inhibit", b"{}")
    assert_error(*request("POST", "/v1/shutdown", body=b"{}", headers=headers, source="127.0.0.6")[::2], 401)


def test_stale_timestamp(agent):
    now = int(time.time())
    for ts in (now - 120, now + 120):
        assert_error(*signed("GET", "/v1/players", ts=ts, source="127.0.0.7")[::2], 401)
    # well inside the window is fine
    assert signed("GET", "/v1/players", ts=now - 30, source="127.0.0.7")[0] == 200


def test_replayed_nonce(agent):
    headers = sign("GET", "/v1/players")
    assert request("GET", "/v1/players", headers=headers)[0] == 200
    status, _, body = request("GET", "/v1/players", headers=headers)
    assert_error(status, body, 401)
    assert "nonce" in body["error"].lower()


def test_repeated_failures_rate_limited(agent):
    src = "127.0.0.9"
    for _ in range(10):
        assert signed("GET", "/v1/players", key=OTHER_KEY, source=src)[0] == 401
    status, resp, body = signed("GET", "/v1/players", source=src)
    assert_error(status, body, 429)
    assert int(resp.getheader("Retry-After")) > 0
    # other clients are not affected
    assert signed("GET", "/v1/players", source="127.0.0.10")[0] == 200
    assert request("GET", "/v1/status", source=src)[0] == 200


def test_listens_on_every_address(tmp_path):
    port = PORT + 4
    text = config(tmp_path, port=port).replace(f'["127.0.0.1:{port}"]', f'["127.0.0.1:{port}", "[::1]:{port}"]')
    with Agent(text) as a:
        a.wait_ready()
        for host in ("127.0.0.1", "::1"):
            conn = http.client.HTTPConnection(host, port, timeout=5)
            try:
                conn.request("GET", "/v1/status")
                resp = conn.getresponse()
                assert resp.status == 200 and json.loads(resp.read())["players"] == 0
            finally:
                conn.close()


def test_bad_listen_address_is_an_error(tmp_path):
    text = config(tmp_path).replace(f'["127.0.0.1:{PORT}"]', '["localhost:8456"]')
    with Agent(text) as a:
        assert a.proc.wait(10) != 0
        assert "localhost:8456" in a.stderr()


# ---- limits ----------------------------------------------------------------------

def test_idle_connections_do_not_starve_others(agent):
    idle = []
    try:
        for _ in range(300):
            idle.append(socket.create_connection(("127.0.0.1", PORT), timeout=5))
        t0 = time.monotonic()
        status, _, body = request("GET", "/v1/status", source="127.0.0.2", timeout=2)
        elapsed = time.monotonic() - t0
        assert status == 200
        assert elapsed < 1.0, elapsed
    finally:
        for s in idle:
            s.close()


def test_slow_client_times_out(agent):
    # connection_timeout is 2s in this configuration
    s = socket.create_connection(("127.0.0.1", PORT), timeout=10)
    try:
        s.sendall(b"GET /v1/status HTTP/1.1\r\nHost: x\r\n")   # never finishes its headers
        t0 = time.monotonic()
        data = s.recv(4096)
        elapsed = time.monotonic() - t0
    finally:
        s.close()
    assert not data.startswith(b"HTTP/1.1 200"), data
    assert 1.0 <= elapsed < 6.0, elapsed


# ---- the status subcommand ---------------------------------------------------------

def run_cli(agent, *args):
    return subprocess.run([str(AGENT), "--config", str(agent.config_path), *args],
                          capture_output=True, text=True, timeout=30)


def test_cli_status(agent):
    p = run_cli(agent, "status")
    assert p.returncode == 0, p.stderr
    assert re.search(r"^Players: 0$", p.stdout, re.M), p.stdout
    assert re.search(r"^Sources: capture healthy \(0\)$", p.stdout, re.M), p.stdout
    assert re.search(r"^Watchdog: ", p.stdout, re.M), p.stdout

    p = run_cli(agent, "status", "--json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["status"]["players"] == 0
    assert out["players"]["list"] == []


def test_cli_inhibit(agent):
    p = run_cli(agent, "inhibit", "2h")
    assert p.returncode == 0, p.stderr
    assert "2h" in p.stdout
    _, _, st = request("GET", "/v1/status")
    assert st["watchdog"]["inhibited_until"]
    p = run_cli(agent, "inhibit", "0")
    assert p.returncode == 0, p.stderr
    assert request("GET", "/v1/status")[2]["watchdog"]["inhibited_until"] is None
    assert run_cli(agent, "inhibit", "soon").returncode != 0


def test_cli_status_without_key(agent, tmp_path):
    cfg = tmp_path / "nokey.yaml"
    cfg.write_text(config(tmp_path, key=None))
    p = subprocess.run([str(AGENT), "--config", str(cfg), "status", "--json"], capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["status"]["players"] == 0 and out["players"] is None


def test_cli_status_agent_down(tmp_path):
    cfg = tmp_path / "down.yaml"
    cfg.write_text(config(tmp_path, port=PORT + 1))
    p = subprocess.run([str(AGENT), "--config", str(cfg), "status"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 1
    assert "Failed to reach the agent" in p.stderr


# These come last: the fake player stays on the module's agent for its peer timeout.
# ---- players, shutdown -----------------------------------------------------------

def play(port=50123):
    """Make the agent see a player on lo: the server's ConnectOK to a peer, then data both ways."""
    srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    srv.bind(("127.0.0.1", 2456))
    cli.bind(("127.0.0.1", port))
    try:
        srv.sendto(b"\x23" + bytes(40), ("127.0.0.1", port))
        for seq in range(5):
            cli.sendto(b"\x80\x01\x00\x00\x00" + bytes([seq, 0]) + bytes(20), ("127.0.0.1", 2456))
            srv.sendto(b"\x80\x02\x00\x00\x00" + bytes([seq, 0]) + bytes(20), ("127.0.0.1", port))
    finally:
        srv.close()
        cli.close()


def test_shutdown_refused_while_playing_and_no_addresses(agent):
    try:
        play()
    except OSError as e:
        pytest.skip(f"cannot fake game traffic on lo: {e}")
    deadline = time.monotonic() + 5
    while request("GET", "/v1/status")[2]["players"] != 1:
        assert time.monotonic() < deadline, "the agent did not count the fake player"
        time.sleep(0.1)

    status, _, body = signed("POST", "/v1/shutdown", {"force": False})
    assert_error(status, body, 409)
    assert "1" in body["error"]

    # peer addresses never leave the host through the API
    for answer in (request("GET", "/v1/status")[2], signed("GET", "/v1/players")[2]):
        text = json.dumps(answer)
        assert "127.0.0.1" not in text and "50123" not in text, text
    _, _, players = signed("GET", "/v1/players")
    assert players["players"] == 1 and len(players["list"]) == 1


def test_shutdown_granted(tmp_path):
    # a separate agent: after this one it is stopping
    with Agent(config(tmp_path, port=PORT + 2), env={"DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/nonexistent"}) as a:
        a.wait_ready()
        status, _, body = signed("POST", "/v1/shutdown", {"force": True}, port=PORT + 2)
        assert status == 202, body
        assert body == {"status": "stopping"}


def test_no_key_answers_503(tmp_path):
    with Agent(config(tmp_path, key=None, port=PORT + 3)) as a:
        a.wait_ready()
        assert request("GET", "/v1/status", port=PORT + 3)[0] == 200
        for method, target in (("GET", "/v1/players"), ("POST", "/v1/shutdown"), ("POST", "/v1/inhibit")):
            body = b"{}" if method == "POST" else b""
            assert_error(*request(method, target, body=body or None, headers=sign(method, target, body),
                                  port=PORT + 3)[::2], 503)
        log = a.stderr()
        assert log.count("api.key") == 1, log

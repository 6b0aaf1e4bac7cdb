# SPDX-License-Identifier: MIT
"""sigrun-agent's command line, run as a user would: --help, --version,
--help-config in its three shapes, --check-config with good and bad files
(every error at once, as file:line:column: key: message), game profiles
(built-in Enshrouded and one from a file) and the replay options.

The captures are built here with scapy into tmp_path, next to the test that
reads them, so each test shows exactly what traffic it feeds the agent.
"""
import re
import subprocess

import pytest
import yaml  # python3-yaml
from scapy.all import IP, UDP, Ether, Raw, wrpcap  # python3-scapy

from agentctl import AGENT, run_replay
from conftest import BUILD, SRCDIR

SERVER = "192.0.2.10"
CLIENT = "198.51.100.7"
T0 = 1771092000.0  # capture clock origin; the agent prints time since the first packet


def agent(*args, timeout=20):
    return subprocess.run([str(AGENT), *map(str, args)], capture_output=True, text=True, timeout=timeout)


def config_keys():
    """Every key of the configuration table, read from its one source."""
    text = (SRCDIR / "agent" / "config.c").read_text()
    table = text[text.index("agent_config_table[] = {"):]
    table = table[:table.index("\n};")]
    keys = re.findall(r'^\s*(?:KEY|ENUM)\("([a-z0-9_.]+)"|^\s*\{ "([a-z0-9_.]+)", CONF_', table, re.M)
    keys = [a or b for a, b in keys]
    assert len(keys) > 30 and "api.key" in keys and "game.profile" in keys
    return keys


def udp(t, src, sport, dst, dport, payload):
    # Explicit MACs: left empty, scapy would try to resolve them on the network.
    p = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(src=src, dst=dst) / UDP(sport=sport, dport=dport) / Raw(payload)
    p.time = T0 + t
    return p


def gns_data(seq):
    # flags 0x80, receiver connection id u32 LE, sequence u16 LE, then payload
    return bytes([0x80]) + (0x11223344).to_bytes(4, "little") + seq.to_bytes(2, "little") + b"game" * 8


def two_way(t_from, t_to, port, client=CLIENT, cport=40000, step=0.2, payload=gns_data):
    """Data both ways between client and server every `step` seconds."""
    pkts, t, seq = [], t_from, 0
    while t < t_to - 1e-9:
        pkts.append(udp(t, client, cport, SERVER, port, payload(seq)))
        pkts.append(udp(t + 0.01, SERVER, port, client, cport, payload(seq)))
        t, seq = t + step, seq + 1
    return pkts


def gns_session(port, t_join=1.0, t_close=10.0, client=CLIENT, cport=50123):
    """A full GNS connection: handshake, data both ways, ConnectionClosed."""
    pkts = [
        udp(t_join, client, cport, SERVER, port, b"\x20" + bytes(511)),
        udp(t_join + 0.02, SERVER, port, client, cport, b"\x21" + bytes(40)),
        udp(t_join + 0.04, client, cport, SERVER, port, b"\x22" + bytes(200)),
        udp(t_join + 0.06, SERVER, port, client, cport, b"\x23" + bytes(40)),
    ]
    pkts += two_way(t_join + 0.2, t_close, port, client, cport)
    pkts.append(udp(t_close, client, cport, SERVER, port, b"\x24" + bytes(511)))
    return pkts


def write(tmp_path, name, pkts):
    path = tmp_path / name
    wrpcap(str(path), sorted(pkts, key=lambda p: p.time))
    return path


def events_of(events, name):
    return [e for e in events if e["event"] == name]


# ---- --help, --version, --help-config ---------------------------------------

def test_help():
    p = agent("--help")
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("Usage: sigrun-agent")
    for option in ("--config", "--replay", "--output", "--check-config", "--help-config", "--version"):
        assert option in p.stdout
    assert agent("-h").stdout == p.stdout


def test_version():
    p = agent("--version")
    assert p.returncode == 0, p.stderr
    assert p.stdout == f"sigrun-agent {BUILD.version}\n"


def test_unknown_option_is_a_usage_error():
    p = agent("--no-such-option")
    assert p.returncode == 2
    assert "no-such-option" in p.stderr


def test_help_config_lists_every_key():
    p = agent("--help-config")
    assert p.returncode == 0, p.stderr
    listed = re.findall(r"^  ([a-z0-9_.]+) \(", p.stdout, re.M)
    assert listed == config_keys()
    # each key says its type and default, and has a help line under it
    assert re.search(r"^  watchdog\.idle_timeout \(duration, default: 10min\)\n      \S", p.stdout, re.M)
    assert re.search(r"^  watchdog\.action \(one of poweroff\|ec2-stop\|exec\|none, default: poweroff\)",
                     p.stdout, re.M)


def uncomment(yaml_text):
    """Turn every commented-out `#key: default` of --help-config=yaml into a setting."""
    return re.sub(r"(?m)^  #([a-z0-9_]+: )", r"  \1", yaml_text)


def test_help_config_yaml_is_a_valid_config_that_changes_nothing(tmp_path):
    p = agent("--help-config=yaml")
    assert p.returncode == 0, p.stderr
    shipped = tmp_path / "agent.yaml"
    shipped.write_text(p.stdout)
    check = agent("--check-config", shipped)
    assert (check.returncode, check.stdout) == (0, "configuration OK\n"), check.stderr

    # With every default written out, it is still accepted and sets each key once...
    explicit = tmp_path / "explicit.yaml"
    explicit.write_text(uncomment(p.stdout))
    check = agent("--check-config", explicit)
    assert (check.returncode, check.stdout) == (0, "configuration OK\n"), check.stderr
    settings = {f"{section}.{name}": value
                for section, values in yaml.safe_load(explicit.read_text()).items()
                for name, value in values.items()}
    assert sorted(settings) == sorted(config_keys())

    # ...to the defaults --help-config names.
    defaults = dict(re.findall(r"^  ([a-z0-9_.]+) \(.*default: (.*)\)$", agent("--help-config").stdout, re.M))
    for key, value in settings.items():
        if isinstance(value, list):
            value = " ".join(value)
        elif isinstance(value, bool):
            value = "true" if value else "false"
        assert str(value) == defaults[key] or (value == "" and defaults[key] in ("", "none")), (key, value)

    # ...and a replay behaves exactly as with the built-in defaults.
    capture = write(tmp_path, "evening.pcap", gns_session(2456, 1.0, 20.0))
    with_file, _ = run_replay(capture, explicit.read_text())
    without, _ = run_replay(capture)
    assert with_file == without
    assert "player_joined" in [e["event"] for e in without]


def test_help_config_man_is_troff():
    p = agent("--help-config=man")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == ".TP"
    requests = {line.split()[0] for line in lines if line.startswith(".")}
    assert requests <= {".TP", ".B"}, requests
    names = [line[3:].replace("\\-", "-") for line in lines if line.startswith(".B ")]
    assert names == config_keys()
    # troff renders it; hyphens are escaped so they print as hyphens
    out = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z"], input=".TH X 5\n.SH KEYS\n" + p.stdout,
                         capture_output=True, text=True)
    assert out.returncode == 0 and out.stderr == "", out.stderr
    assert "ec2\\-stop" in p.stdout


def test_help_config_unknown_format():
    p = agent("--help-config=xml")
    assert p.returncode == 2
    assert "yaml or man" in p.stderr
    assert p.stdout == ""


# ---- --check-config ------------------------------------------------------------

GOOD = """\
game:
  profile: valheim
  port: 2456
capture:
  interface: lo
  confirm_time: 3s
api:
  listen: ["127.0.0.1:8456", "[::1]:8456"]
  key: 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
watchdog:
  idle_timeout: 20min
  action: none
"""


@pytest.mark.parametrize("form", ["positional", "--config"])
def test_check_config_good(tmp_path, form):
    path = tmp_path / "agent.yaml"
    path.write_text(GOOD)
    args = ["--check-config", path] if form == "positional" else ["--config", path, "--check-config"]
    p = agent(*args)
    assert (p.returncode, p.stdout, p.stderr) == (0, "configuration OK\n", "")


def test_check_config_refuses_two_files(tmp_path):
    """`--config A --check-config B` must not check A while the user meant B."""
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(GOOD)
    bad.write_text("game:\n  port: banana\n")
    for args in (["--config", good, "--check-config", bad], ["--check-config", good, bad]):
        p = agent(*args)
        assert p.returncode == 2, args
        assert "configuration OK" not in p.stdout
        assert str(bad) in p.stderr


def test_check_config_empty_file_is_the_defaults(tmp_path):
    path = tmp_path / "agent.yaml"
    path.write_text("# nothing set\n")
    p = agent("--check-config", path)
    assert (p.returncode, p.stdout) == (0, "configuration OK\n"), p.stderr


BAD = """\
game:
  portt: 2456
  port: 70000
  crossplay: maybe
watchdog:
  action: explode
  idle_timeout: 5 parsecs
  warn_before: 2h
api:
  key: abcd
capture:
  peer_limit: [1, 2]
"""


@pytest.mark.parametrize("form", ["positional", "--config"])
def test_check_config_reports_every_error(tmp_path, form):
    path = tmp_path / "agent.yaml"
    path.write_text(BAD)
    args = ["--check-config", path] if form == "positional" else ["--config", path, "--check-config"]
    p = agent(*args)
    assert p.returncode != 0
    assert "configuration OK" not in p.stdout
    lines = p.stderr.splitlines()
    expected = [
        (2, 3, "game.portt", r"unknown key"),
        (3, 9, "game.port", r"70000 is out of range 0\.\.65535"),
        (4, 14, "game.crossplay", r"expected true or false"),
        (6, 11, "watchdog.action", r'"explode" is not one of: poweroff, ec2-stop, exec, none'),
        (7, 17, "watchdog.idle_timeout", r"expected a duration"),
        (8, 16, "watchdog.warn_before", r"2h is out of range"),
        (10, 8, "api.key", r"64 hex digits"),
        (12, 15, "capture.peer_limit", r"expected a value, got a list"),
    ]
    for line, column, key, message in expected:
        rx = re.compile(rf"^{re.escape(str(path))}:{line}:{column}: {re.escape(key)}: .*{message}")
        assert any(rx.search(x) for x in lines), f"no {key} error at {line}:{column} in:\n{p.stderr}"
    assert len(lines) == len(expected), p.stderr


def test_check_config_yaml_syntax_error_has_its_position(tmp_path):
    path = tmp_path / "agent.yaml"
    path.write_text("game:\n  port: 2456\napi:\n  listen: [\"127.0.0.1:8456\"\n")
    p = agent("--check-config", path)
    assert p.returncode != 0
    assert re.match(rf"^{re.escape(str(path))}:5:1: YAML syntax error: .*flow sequence", p.stderr), p.stderr

    path.write_text("game:\n  port: 2456\n\tprofile: valheim\n")
    p = agent("--check-config", path)
    assert p.returncode != 0
    assert re.match(rf"^{re.escape(str(path))}:3:1: YAML syntax error: ", p.stderr), p.stderr


def test_check_config_duplicate_key(tmp_path):
    path = tmp_path / "agent.yaml"
    path.write_text("game:\n  port: 2456\n  profile: valheim\n  port: 2460\n")
    p = agent("--check-config", path)
    assert p.returncode != 0
    assert p.stderr == f"{path}:4:3: game.port: duplicate key\n"


def test_check_config_duplicate_section(tmp_path):
    path = tmp_path / "agent.yaml"
    path.write_text("game:\n  port: 2456\nwatchdog:\n  action: none\ngame:\n  public: true\n")
    p = agent("--check-config", path)
    assert p.returncode != 0
    assert re.search(rf"^{re.escape(str(path))}:5:1: game: duplicate", p.stderr, re.M), p.stderr


@pytest.mark.parametrize("text,key", [
    ("api:\n  listen: [banana]\n", "api.listen"),
    ("agent:\n  user: sigrun-no-such-user\n", "agent.user"),
])
def test_check_config_catches_what_fails_at_start(tmp_path, text, key):
    path = tmp_path / "agent.yaml"
    path.write_text(text)
    p = agent("--check-config", path)
    assert p.returncode != 0
    assert re.search(rf"^{re.escape(str(path))}:2:\d+: {re.escape(key)}: ", p.stderr, re.M), p.stderr


def test_check_config_missing_file(tmp_path):
    path = tmp_path / "nowhere.yaml"
    p = agent("--check-config", path)
    assert p.returncode != 0
    assert "configuration OK" not in p.stdout
    assert str(path) in p.stderr and "No such file or directory" in p.stderr


def test_check_config_unreadable_config_for_daemon(tmp_path):
    """The daemon given a missing --config refuses to start (it does not fall back to defaults)."""
    p = agent("--config", tmp_path / "nowhere.yaml", "--replay", tmp_path / "x.pcap")
    assert p.returncode == 1
    assert "nowhere.yaml" in p.stderr and "No such file or directory" in p.stderr


# ---- game profiles ------------------------------------------------------------

def enshrouded_evening():
    """One player on 15636 for 8 s of two-way traffic, then silent; a peer on
    15637 that only sends (a scanner); one with two-way traffic for just 2 s;
    a second player on 15637 from t=20 to t=26; a lone packet elsewhere at
    t=40 moves the capture clock past the timeouts."""
    pkts = two_way(1.0, 9.0, 15636)
    pkts += [udp(1.0 + i * 0.2, "203.0.113.9", 41000, SERVER, 15637, b"x" * 40) for i in range(40)]
    pkts += two_way(2.0, 4.0, 15637, client="203.0.113.50", cport=42000)
    pkts += two_way(20.0, 26.0, 15637, client="203.0.113.60", cport=43000, payload=lambda seq: b"e" * 60)
    pkts.append(udp(40.0, "203.0.113.99", 5353, SERVER, 5353, b"mdns"))
    return pkts


ENSHROUDED_CONFIG = "game:\n  profile: enshrouded\ncapture:\n  confirm_time: 3s\n  peer_timeout: 5s\n"


def check_enshrouded_timeline(events):
    joined = events_of(events, "player_joined")
    left = events_of(events, "player_left")
    second = "203.0.113.60:43000"
    assert [(e["peer"], e["players"]) for e in joined] == [(f"{CLIENT}:40000", 1), (second, 1)], events
    assert [(e["peer"], e["reason"], e["players"]) for e in left] == [(f"{CLIENT}:40000", "timeout", 0),
                                                                        (second, "timeout", 0)]
    # two-way traffic for confirm_time (3 s) makes a player: from t=0 and t=19
    assert 3.0 <= joined[0]["t"] <= 3.5
    assert 22.0 <= joined[1]["t"] <= 22.5
    # their last packets are at 7.8 s and 24.8 s, then 5 s of silence
    assert left[0]["t"] == pytest.approx(12.8, abs=0.02)
    assert left[1]["t"] == pytest.approx(29.8, abs=0.02)
    summary = events[-1]
    assert summary["event"] == "summary" and summary["players"] == 0
    assert summary["peers_seen"] >= 2
    assert summary["packets"] == len(enshrouded_evening())


def test_profile_enshrouded_counts_by_traffic(tmp_path):
    capture = write(tmp_path, "enshrouded.pcap", enshrouded_evening())
    events, _ = run_replay(capture, ENSHROUDED_CONFIG)
    check_enshrouded_timeline(events)

    # The same traffic means nothing to the default (Valheim, UDP 2456) profile.
    events, _ = run_replay(capture)
    assert [e["event"] for e in events] == ["summary"]


def test_profile_from_a_file(tmp_path):
    d = tmp_path / "x"
    d.mkdir()
    (d / "mygame.yaml").write_text("name: My Game\nports: [27015]\nprotocol: traffic\n")
    config = f"game:\n  profile: {d / 'mygame.yaml'}\ncapture:\n  confirm_time: 3s\n  peer_timeout: 5s\n"
    cfg = tmp_path / "agent.yaml"
    cfg.write_text(config)
    assert agent("--check-config", cfg).stdout == "configuration OK\n"

    pkts = [p for p in enshrouded_evening() if p[UDP].dport != 15637 and p[UDP].sport != 15637]
    for p in pkts:
        for field in ("sport", "dport"):
            if getattr(p[UDP], field) == 15636:
                setattr(p[UDP], field, 27015)
    capture = write(tmp_path, "mygame.pcap", pkts)
    events, _ = run_replay(capture, config)
    assert [(e["event"], e["players"]) for e in events if "players" in e] == \
        [("player_joined", 1), ("player_left", 0), ("summary", 0)]

    p = agent("--config", cfg, "--replay", capture, "--output", "text")
    assert p.returncode == 0, p.stderr
    assert "game My Game on UDP 27015" in p.stdout


def test_profile_file_errors_name_the_file(tmp_path):
    prof = tmp_path / "bad-game.yaml"
    prof.write_text("name: Bad\nports: [27015]\nprotocol: quantum\ncolour: red\n")
    cfg = tmp_path / "agent.yaml"
    cfg.write_text(f"game:\n  profile: {prof}\n")
    for args in (["--check-config", cfg], ["--config", cfg, "--replay", tmp_path / "none.pcap"]):
        p = agent(*args)
        assert p.returncode != 0
        assert "configuration OK" not in p.stdout
        assert re.search(rf"^{re.escape(str(prof))}:3:11: protocol: \"quantum\" is not one of: gns, traffic$",
                         p.stderr, re.M), p.stderr
        assert re.search(rf"^{re.escape(str(prof))}:4:1: colour: unknown key$", p.stderr, re.M), p.stderr


def test_profile_file_port_errors(tmp_path):
    prof = tmp_path / "ports.yaml"
    prof.write_text("name: Bad\nports: [0, abc]\n")
    cfg = tmp_path / "agent.yaml"
    cfg.write_text(f"game:\n  profile: {prof}\n")
    p = agent("--check-config", cfg)
    assert p.returncode != 0
    assert re.search(rf"^{re.escape(str(prof))}:.*ports: \"0\" is not a port number", p.stderr, re.M), p.stderr
    assert re.search(rf"^{re.escape(str(prof))}:.*ports: \"abc\" is not a port number", p.stderr, re.M), p.stderr


def test_profile_file_reports_every_error_at_once(tmp_path):
    prof = tmp_path / "bad.yaml"
    prof.write_text("name: Bad\nports: [0]\nprotocol: quantum\n")
    cfg = tmp_path / "agent.yaml"
    cfg.write_text(f"game:\n  profile: {prof}\n")
    p = agent("--check-config", cfg)
    assert "quantum" in p.stderr and '"0" is not a port number' in p.stderr, p.stderr


def test_profile_missing_file(tmp_path):
    cfg = tmp_path / "agent.yaml"
    cfg.write_text(f"game:\n  profile: {tmp_path}/nope.yaml\n")
    p = agent("--check-config", cfg)
    assert p.returncode != 0
    assert f"{tmp_path}/nope.yaml" in p.stderr and "No such file or directory" in p.stderr


def test_profile_unknown_name(tmp_path):
    cfg = tmp_path / "agent.yaml"
    cfg.write_text("game:\n  profile: minecraft\n")
    capture = write(tmp_path, "c.pcap", gns_session(2456))
    for args in (["--check-config", cfg], ["--config", cfg, "--replay", capture]):
        p = agent(*args)
        assert p.returncode == 1, args
        assert p.stdout == ""
        assert 'unknown game profile "minecraft"' in p.stderr
        assert "valheim, enshrouded" in p.stderr


# ---- replay options --------------------------------------------------------------

def test_replay_text_timeline(tmp_path):
    capture = write(tmp_path, "evening.pcap", gns_session(2456, 1.0, 20.0))
    p = agent("--replay", capture, "--output", "text")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].startswith(f"Replaying {capture} (Ethernet), game Valheim on UDP 2456")
    assert re.search(r"^  00:00:00  \+  joined 198\.51\.100\.7:50123 .*1 player on$", p.stdout, re.M), p.stdout
    assert re.search(r"^  00:00:19  -  left   198\.51\.100\.7:50123 .*\(closed\).*0 players on$", p.stdout,
                     re.M), p.stdout
    assert re.search(r"nobody on: stop in 10min", p.stdout)
    assert re.search(rf"^  {len(gns_session(2456, 1.0, 20.0))} packets, 1 peers seen, 0 malformed; 0 players on",
                     p.stdout, re.M), p.stdout
    # nothing of it is JSON
    assert not any(line.startswith("{") for line in lines)


def test_replay_unreadable_capture(tmp_path):
    p = agent("--replay", tmp_path / "none.pcap")
    assert p.returncode == 1 and p.stdout == ""
    assert f"{tmp_path}/none.pcap" in p.stderr and "No such file or directory" in p.stderr
    junk = tmp_path / "junk.pcap"
    junk.write_text("this is not a capture\n")
    p = agent("--replay", junk)
    assert p.returncode == 1 and p.stdout == ""
    assert "unknown file format" in p.stderr


def test_bad_log_level_is_a_usage_error(tmp_path):
    p = agent("--log-level", "loud", "--replay", tmp_path / "none.pcap")
    assert p.returncode == 2
    assert 'unknown level "loud"' in p.stderr


def test_replay_output_xml_is_a_usage_error(tmp_path):
    capture = write(tmp_path, "evening.pcap", gns_session(2456))
    p = agent("--replay", capture, "--output", "xml")
    assert p.returncode == 2
    assert p.stdout == ""
    assert "xml" in p.stderr


def test_replay_non_game_traffic_prints_only_the_summary(tmp_path):
    pkts = gns_session(27015) + two_way(0.0, 30.0, 53, cport=5353)
    capture = write(tmp_path, "other.pcap", pkts)
    events, p = run_replay(capture)
    assert len(events) == 1, p.stdout
    s = events[0]
    assert s["event"] == "summary"
    assert (s["players"], s["peers_seen"], s["packets"]) == (0, 0, len(pkts))


def test_replay_game_port_from_config(tmp_path):
    capture = write(tmp_path, "p2460.pcap", gns_session(2460, 1.0, 20.0) + gns_session(2456, 2.0, 3.0,
                                                                                    client="203.0.113.5"))
    events, _ = run_replay(capture)
    assert [(e["event"], e.get("peer")) for e in events_of(events, "player_joined")] == \
        [("player_joined", "203.0.113.5:50123")]

    events, _ = run_replay(capture, "game:\n  port: 2460\n")
    joined = events_of(events, "player_joined")
    left = events_of(events, "player_left")
    assert [e["peer"] for e in joined] == [f"{CLIENT}:50123"]
    assert [(e["peer"], e["reason"]) for e in left] == [(f"{CLIENT}:50123", "closed")]
    assert left[0]["t"] == pytest.approx(19.0, abs=0.01)

"""sigrun-agent --replay on the generated captures of tests/data (design brief §3).

Each capture has a known timeline in <name>.expected.json, written by
tests/data/gen-captures.py next to the packets that cause it (see
tests/data/README.md). The rules of comparison:

* `t` within ±0.01 s; `peer`, `players`, `reason` (and any other plain key)
  exactly; `X_min` / `X_max` bound the agent's `X`;
* player_joined, player_left and shutdown must be exactly the expected ones:
  an extra join is a flood counted as a player, an extra shutdown a stop the
  friends would notice;
* other expected events must appear in order among whatever else the agent
  prints (it may add events and fields).

On every replay, whatever the capture: the timeline is in time order, each
join/leave moves the count by one, and no shutdown comes while a player is on.
"""
import json
import math
import signal
import struct
import time

import pytest

from agentctl import AGENT, run_replay
from conftest import DATADIR

pytestmark = pytest.mark.skipif(not AGENT.exists(), reason=f"{AGENT} not built")

STRICT_EVENTS = {"player_joined", "player_left", "shutdown"}
T_TOLERANCE = 0.01


def captures():
    names = sorted(p.name[: -len(".expected.json")] for p in DATADIR.glob("*.expected.json"))
    assert names, f"no expected timelines in {DATADIR}"
    return names


def capture_path(name):
    for ext in ("pcap", "pcapng"):
        p = DATADIR / f"{name}.{ext}"
        if p.exists():
            return p
    raise FileNotFoundError(f"no capture for {name} in {DATADIR}")


def load_expected(name):
    return json.loads((DATADIR / f"{name}.expected.json").read_text())


def matches(got, want):
    for key, value in want.items():
        if key == "t":
            if not isinstance(got.get("t"), (int, float)) or abs(got["t"] - value) > T_TOLERANCE:
                return False
        elif key.endswith("_min"):
            if not isinstance(got.get(key[:-4]), (int, float)) or got[key[:-4]] < value:
                return False
        elif key.endswith("_max"):
            if not isinstance(got.get(key[:-4]), (int, float)) or got[key[:-4]] > value:
                return False
        elif got.get(key) != value:
            return False
    return True


def show(events):
    return "\n".join(json.dumps(e) for e in events)


def check_timeline(events, expected):
    i = 0
    for want in expected:
        while True:
            assert i < len(events), f"missing {json.dumps(want)}; timeline:\n{show(events)}"
            got = events[i]
            i += 1
            if matches(got, want):
                break
            assert got.get("event") not in STRICT_EVENTS, \
                f"unexpected {json.dumps(got)} while waiting for {json.dumps(want)}; timeline:\n{show(events)}"
    extra = [e for e in events[i:] if e.get("event") in STRICT_EVENTS]
    assert not extra, f"unexpected events after the expected ones: {show(extra)}"


def check_invariants(events):
    players = 0
    last_t = -math.inf
    for e in events:
        assert isinstance(e.get("t"), (int, float)), f"event without a time: {e}"
        assert e["t"] >= last_t, f"timeline goes back in time at {e}:\n{show(events)}"
        assert e["t"] >= 0, e
        last_t = e["t"]
        if e["event"] == "player_joined":
            players += 1
            assert e["players"] == players, f"count does not follow the joins at {e}"
        elif e["event"] == "player_left":
            players -= 1
            assert e["players"] == players, f"count does not follow the leaves at {e}"
            assert e["reason"] in ("closed", "timeout"), e
        elif e["event"] == "shutdown":
            assert players == 0, f"shutdown while {players} player(s) on: {e}\n{show(events)}"
    summaries = [e for e in events if e["event"] == "summary"]
    assert len(summaries) == 1 and events[-1] is summaries[0], "the summary must come once, last"


@pytest.mark.parametrize("name", captures())
def test_replay_timeline(name):
    events, _ = run_replay(capture_path(name))
    check_invariants(events)
    check_timeline(events, load_expected(name))


def test_replay_is_deterministic():
    path = capture_path("demo-evening")
    _, first = run_replay(path)
    _, second = run_replay(path)
    assert first.stdout, "no timeline"
    assert first.stdout == second.stdout


def test_demo_stops_only_after_everyone_left():
    events, _ = run_replay(capture_path("demo-evening"))
    kinds = [e["event"] for e in events]
    assert kinds.count("shutdown") == 1, show(events)
    shutdown = kinds.index("shutdown")
    last_left = max(i for i, k in enumerate(kinds) if k == "player_left")
    assert last_left < shutdown
    assert events[last_left]["players"] == 0
    # idle_timeout (10 min) after the last player left, not before; the capture goes on after it
    assert events[shutdown]["t"] - events[last_left]["t"] == pytest.approx(600, abs=T_TOLERANCE)
    assert events[-1]["t"] > events[shutdown]["t"]


# -- the same session in other file formats ------------------------------------

def read_pcap(path):
    """(linktype, [(ts_us, caplen-bytes, origlen)]) of a microsecond little-endian pcap."""
    data = path.read_bytes()
    magic, _, _, _, _, _, linktype = struct.unpack_from("<IHHiIII", data, 0)
    assert magic == 0xA1B2C3D4
    records, off = [], 24
    while off < len(data):
        sec, usec, caplen, origlen = struct.unpack_from("<IIII", data, off)
        records.append((sec * 1_000_000 + usec, data[off + 16:off + 16 + caplen], origlen))
        off += 16 + caplen
    return linktype, records


def write_pcap_ns(path, linktype, records, big_endian=False):
    """Nanosecond pcap (magic a1b23c4d), optionally big-endian, as other hosts write it."""
    e = ">" if big_endian else "<"
    out = [struct.pack(e + "IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 262144, linktype)]
    for ts_us, frame, origlen in records:
        ns = ts_us * 1000 + 123  # sub-microsecond digits that must not matter
        out.append(struct.pack(e + "IIII", ns // 10**9, ns % 10**9, len(frame), origlen) + frame)
    path.write_bytes(b"".join(out))


def pcapng_block(block_type, body):
    body += bytes(-len(body) % 4)
    return struct.pack("<II", block_type, len(body) + 12) + body + struct.pack("<I", len(body) + 12)


def write_pcapng_ns(path, linktype, records):
    """pcapng as `dumpcap -i eth0 -i eth1` writes it: two interfaces of the same link type, one
    with microsecond and one with nanosecond timestamps (if_tsresol 9), packets alternating
    between them, and an unknown block in between that readers must skip."""
    opt_end = struct.pack("<HH", 0, 0)
    tsresol_ns = struct.pack("<HHB3x", 9, 1, 9)
    out = [pcapng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)),
           pcapng_block(1, struct.pack("<HHI", linktype, 0, 262144) + opt_end),
           pcapng_block(1, struct.pack("<HHI", linktype, 0, 262144) + tsresol_ns + opt_end)]
    for i, (ts_us, frame, origlen) in enumerate(records):
        interface, ts = (1, ts_us * 1000 + 456) if i % 2 else (0, ts_us)
        out.append(pcapng_block(6, struct.pack("<IIIII", interface, ts >> 32, ts & 0xFFFFFFFF, len(frame), origlen)
                                + frame))
        if i == 3:
            out.append(pcapng_block(0x0BAD, b"custom block readers must skip"))
    path.write_bytes(b"".join(out))


@pytest.mark.parametrize("fmt", ["pcapng-ns", "pcap-ns-big-endian"])
def test_other_file_formats_give_the_same_timeline(tmp_path, fmt):
    linktype, records = read_pcap(capture_path("two-players"))
    path = tmp_path / f"two-players.{fmt}"
    if fmt == "pcapng-ns":
        write_pcapng_ns(path, linktype, records)
    else:
        write_pcap_ns(path, linktype, records, big_endian=True)
    reference, _ = run_replay(capture_path("two-players"))
    events, _ = run_replay(path)
    assert [(e["event"], e.get("peer"), e.get("players")) for e in events] == \
        [(e["event"], e.get("peer"), e.get("players")) for e in reference]
    for got, ref in zip(events, reference):
        assert got["t"] == pytest.approx(ref["t"], abs=0.002), (got, ref)


# -- the configuration applies to replay ---------------------------------------

def test_replay_uses_the_configured_timeouts():
    config = "capture:\n  peer_timeout: 10s\nwatchdog:\n  idle_timeout: 5min\n  warn_before: 1min\n"
    events, _ = run_replay(capture_path("demo-evening"), config)
    check_invariants(events)
    left = [e for e in events if e["event"] == "player_left"]
    ragnar = next(e for e in left if e["reason"] == "timeout")
    # the default timeline has him leave 30 s after his last packet
    default_left = next(e for e in load_expected("demo-evening") if e.get("reason") == "timeout")
    assert ragnar["t"] == pytest.approx(default_left["t"] - 20, abs=T_TOLERANCE)
    shutdown = next(e for e in events if e["event"] == "shutdown")
    warning = [e for e in events if e["event"] == "idle_warning"][-1]
    assert shutdown["t"] == pytest.approx(ragnar["t"] + 300, abs=T_TOLERANCE)
    assert warning["t"] == pytest.approx(ragnar["t"] + 240, abs=T_TOLERANCE)


def test_replay_counts_only_the_configured_game_port():
    events, _ = run_replay(capture_path("two-players"), "game:\n  port: 2500\n")
    assert not [e for e in events if e["event"] in ("player_joined", "player_left")], show(events)


# -- broken input --------------------------------------------------------------

def test_missing_capture_fails_with_a_message(tmp_path):
    missing = tmp_path / "no-such-capture.pcap"
    _, p = run_replay(missing, check=False)
    assert p.returncode > 0
    assert "no-such-capture.pcap" in p.stderr
    assert p.stdout.strip() == ""


def test_not_a_capture_fails_with_a_message(tmp_path):
    bogus = tmp_path / "notes.pcap"
    bogus.write_text("this is not a capture file\n" * 10)
    _, p = run_replay(bogus, check=False)
    assert p.returncode > 0
    assert p.stderr.strip()


@pytest.mark.parametrize("cut", ["mid-packet", "mid-record-header"])
def test_truncated_capture_does_not_crash(tmp_path, cut):
    data = capture_path("two-players").read_bytes()
    # find the record boundary nearest the middle of the file
    off = 24
    while off < len(data) // 2:
        off += 16 + struct.unpack_from("<I", data, off + 8)[0]
    end = off + 16 + 20 if cut == "mid-packet" else off + 7
    path = tmp_path / "cut.pcap"
    path.write_bytes(data[:end])

    events, p = run_replay(path, check=False)
    assert p.returncode >= 0, f"killed by signal {signal.Signals(-p.returncode).name}: {p.stderr}"
    assert p.stderr.strip(), "a damaged capture must be reported on stderr"
    if p.returncode == 0:
        # the events before the cut: both players joined (2 s and 20 s, the cut is near 75 s)
        joins = [e["peer"] for e in events if e["event"] == "player_joined"]
        assert joins == ["198.51.100.23:61054", "203.0.113.77:53311"], show(events)
        check_invariants(events)


def test_unsupported_link_type_is_reported(tmp_path):
    linktype, records = read_pcap(capture_path("raw-ip"))
    path = tmp_path / "wifi.pcap"
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 105)]  # IEEE 802.11
    for ts_us, frame, origlen in records:
        out.append(struct.pack("<IIII", ts_us // 10**6, ts_us % 10**6, len(frame), origlen) + frame)
    path.write_bytes(b"".join(out))
    events, p = run_replay(path, check=False)
    assert p.returncode >= 0
    assert p.returncode > 0 or p.stderr.strip(), "an unreadable link type must not pass silently"
    assert not [e for e in events if e.get("event") == "player_joined"]


def test_demo_capture_is_small():
    assert capture_path("demo-evening").stat().st_size < 1_100_000


def test_replay_is_fast():
    # a 74-minute evening replays in a fraction of a second (seconds under sanitizers)
    start = time.monotonic()
    run_replay(capture_path("demo-evening"))
    assert time.monotonic() - start < 10

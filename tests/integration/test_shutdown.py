"""The graceful stop, end to end: a real sigrun-agent decides to stop (nobody
joined within a short startup grace) and then, on a private system bus,
stops the game unit through a systemd1 mock and powers off through
python-dbusmock's logind template; or stops its own instance through a fake
IMDSv2 and a fake EC2 that checks SigV4 with botocore; or runs a command.
Discord notifications go to a local webhook receiver that can answer 429.

Both mocks write their call logs to one file (O_APPEND), so the order of
StopUnit and PowerOff across the two processes is the order of its lines.
"""
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import time

import pytest

from conftest import SRCDIR
from agentctl import AGENT, Agent

sys.path.insert(0, str(SRCDIR / "tests" / "fakes"))
import fake_ec2  # noqa: E402
import fake_imds  # noqa: E402
import webhook_receiver  # noqa: E402

dbus = pytest.importorskip("dbus")
pytest.importorskip("dbusmock")

PY = "/usr/bin/python3"
SYSTEMD = "org.freedesktop.systemd1"
SYSTEMD_PATH = "/org/freedesktop/systemd1"
MANAGER = "org.freedesktop.systemd1.Manager"
LOGIND = "org.freedesktop.login1"
LOGIND_PATH = "/org/freedesktop/login1"
LOGIND_MANAGER = "org.freedesktop.login1.Manager"
MOCK = "org.freedesktop.DBus.Mock"
GAME_UNIT = "valheim-server.service"

pytestmark = pytest.mark.skipif(not shutil.which("dbus-daemon") or not AGENT.exists(),
                                reason="needs dbus-daemon and a built sigrun-agent")


def wait_until(predicate, timeout, what):
    """what: a description, or a function giving one (evaluated on failure)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what() if callable(what) else what}")
        time.sleep(0.05)


class SystemBus:
    """A private bus standing in for the system bus, with a systemd1 mock and
    dbusmock's logind template on it."""

    def __init__(self, tmp):
        self.tmp = pathlib.Path(tmp)
        self.daemon = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--nopidfile",
                                        "--print-address=1"], stdout=subprocess.PIPE, text=True)
        self.address = self.daemon.stdout.readline().strip()
        assert self.address, "dbus-daemon did not print its address"
        self.env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.address)
        self.log_path = self.tmp / "dbus-calls.log"
        self.log_file = open(self.log_path, "ab", buffering=0)
        self.conn = dbus.bus.BusConnection(self.address)
        self.mocks = []
        self.agent = None

    def _spawn(self, args, name):
        p = subprocess.Popen([PY, "-m", "dbusmock", *args], env=self.env, stdout=self.log_file,
                             stderr=subprocess.DEVNULL)
        self.mocks.append(p)
        wait_until(lambda: self.conn.name_has_owner(name), 10, f"{name} on the bus")

    def start_logind(self):
        self._spawn(["--system", "--template", "logind"], LOGIND)
        return self.conn.get_object(LOGIND, LOGIND_PATH)

    def start_systemd(self, emit_job_removed=True):
        """StopUnit answers a job path; with emit_job_removed the job's
        JobRemoved is sent at once (before the reply, the fastest case),
        otherwise only when the test calls job_removed()."""
        self._spawn(["--system", SYSTEMD, SYSTEMD_PATH, MANAGER], SYSTEMD)
        obj = self.conn.get_object(SYSTEMD, SYSTEMD_PATH)
        mock = dbus.Interface(obj, MOCK)
        code = ("self.jobs = getattr(self, 'jobs', 0) + 1\n"
                "ret = '/org/freedesktop/systemd1/job/%d' % (100 + self.jobs)\n")
        if emit_job_removed:
            code += ("self.EmitSignal('org.freedesktop.systemd1.Manager', 'JobRemoved', 'uoss', "
                     "[dbus.UInt32(100 + self.jobs), ret, args[0], 'done'])\n")
        mock.AddMethod(MANAGER, "StopUnit", "ss", "o", code)
        mock.AddMethod(MANAGER, "Subscribe", "", "", "")
        self.systemd = mock
        return mock

    def job_removed(self, job_path, unit=GAME_UNIT, result="done"):
        job_id = int(job_path.rsplit("/", 1)[1])
        self.systemd.EmitSignal(MANAGER, "JobRemoved", "uoss",
                                [dbus.UInt32(job_id), dbus.ObjectPath(job_path), unit, result])

    def calls(self):
        """(time, method, args text) of every mocked call, in order."""
        out = []
        for line in self.log_path.read_text().splitlines():
            m = re.match(r"^(\d+\.\d+) (\w+)(?: (.*))?$", line)
            if m and m.group(2) in ("StopUnit", "PowerOff", "Subscribe", "Reboot", "Suspend"):
                out.append((float(m.group(1)), m.group(2), m.group(3) or ""))
        return out

    def methods(self):
        return [c[1] for c in self.calls() if c[1] != "Subscribe"]

    def wait_call(self, method, timeout):
        try:
            wait_until(lambda: method in self.methods(), timeout, f"a {method} call")
        except AssertionError as e:
            log = self.agent.stderr()[-3000:] if self.agent else ""
            raise AssertionError(f"{e}; calls={self.calls()}; agent stderr:\n{log}") from None
        return next(c for c in self.calls() if c[1] == method)

    def close(self):
        for p in self.mocks:
            p.terminate()
        for p in self.mocks:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.conn.close()
        self.daemon.terminate()
        self.daemon.wait(5)
        self.log_file.close()


@pytest.fixture
def bus(tmp_path):
    b = SystemBus(tmp_path)
    yield b
    b.close()


@pytest.fixture
def game_port():
    """The game's UDP port, bound as the game server would bind it."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    yield s.getsockname()[1]
    s.close()


@pytest.fixture
def webhook():
    hook = webhook_receiver.WebhookReceiver().start()
    yield hook
    hook.stop()


def config(tmp_path, port, action="poweroff", extra_watchdog="", extra="", webhook=None):
    hook = f"  webhook: {webhook}\n" if webhook else ""
    return (f"game:\n  port: {port}\n"
            f"capture:\n  interface: lo\n"
            f"log:\n  source: off\n"
            f"api:\n  listen: []\n"
            f"agent:\n  state_directory: {tmp_path}/state\n  log_level: debug\n"
            f"discord:\n{hook}  public_address: 192.0.2.1\n"
            f"watchdog:\n  startup_grace: 2s\n  idle_timeout: 2s\n  warn_before: 0s\n  action: {action}\n{extra_watchdog}"
            f"{extra}")


def run_agent(bus, text):
    """An agent on the private system bus; `with` starts it."""
    bus.agent = Agent(text, env={"DBUS_SYSTEM_BUS_ADDRESS": bus.address})
    return bus.agent


def finish(agent):
    """Stop the agent the way systemd does and check it went cleanly (under
    --enable-asan this is where leaks and memory errors show)."""
    rc = agent.stop()
    log = agent.stderr_path.read_text()
    assert "Sanitizer" not in log, log[-4000:]
    assert rc == 0, log[-2000:]


def test_poweroff_only_after_the_game_unit_stopped(bus, tmp_path, game_port):
    bus.start_logind()
    bus.start_systemd(emit_job_removed=True)

    with run_agent(bus, config(tmp_path, game_port)) as agent:
        agent.wait_ready()
        bus.wait_call("PowerOff", 20)
        calls = bus.calls()
        assert [c[1] for c in calls if c[1] != "Subscribe"] == ["StopUnit", "PowerOff"], \
            bus.log_path.read_text() + agent.stderr()
        stop = next(c for c in calls if c[1] == "StopUnit")
        power = next(c for c in calls if c[1] == "PowerOff")
        assert stop[2] == f'"{GAME_UNIT}" "replace"'
        assert power[2] == "False"   # PowerOff(false): never interactive
        assert stop[0] <= power[0]
        wait_until(lambda: "Shutdown complete" in agent.stderr(), 5, "the completion in the log")
        # the shutdown runs inside the loop, which keeps running
        assert agent.proc.poll() is None
        finish(agent)


def test_slow_game_stop_delays_the_poweroff(bus, tmp_path, game_port):
    bus.start_logind()
    bus.start_systemd(emit_job_removed=False)

    with run_agent(bus, config(tmp_path, game_port, extra_watchdog="  game_stop_timeout: 1min\n")) as agent:
        agent.wait_ready()
        bus.wait_call("StopUnit", 20)
        time.sleep(2.0)
        assert "PowerOff" not in bus.methods(), "powered off while the game was still saving"

        # other jobs finishing (another unit, another job of this unit) are not ours
        bus.job_removed("/org/freedesktop/systemd1/job/7", unit="other.service")
        bus.job_removed("/org/freedesktop/systemd1/job/8", result="canceled")
        time.sleep(1.0)
        assert "PowerOff" not in bus.methods()

        released = time.time()
        bus.job_removed("/org/freedesktop/systemd1/job/101")
        _, _, args = bus.wait_call("PowerOff", 10)
        assert args == "False"
        assert next(c for c in bus.calls() if c[1] == "PowerOff")[0] >= released - 0.01
        finish(agent)


def test_game_stop_timeout_still_powers_off_and_says_so(bus, tmp_path, game_port, webhook):
    bus.start_logind()
    bus.start_systemd(emit_job_removed=False)

    text = config(tmp_path, game_port, extra_watchdog="  game_stop_timeout: 2s\n", webhook=webhook.url)
    with run_agent(bus, text) as agent:
        agent.wait_ready()
        stop = bus.wait_call("StopUnit", 20)
        power = bus.wait_call("PowerOff", 10)
        assert power[0] - stop[0] >= 1.9, "did not wait for the game stop timeout"
        assert "did not stop within" in agent.stderr()
        webhook.wait_for(lambda posts: any(e.get("title") == "Game did not stop in time"
                                           for _, s, b in posts if s == 204 for e in b["embeds"]), 5)
        finish(agent)


def test_ec2_stop_through_imds_and_sigv4(bus, tmp_path, game_port):
    bus.start_logind()
    bus.start_systemd(emit_job_removed=True)
    ec2 = fake_ec2.FakeEC2(region="eu-north-1").start()
    imds = fake_imds.FakeIMDS(instance_id="i-0feedbeef0000001", region="eu-north-1").start()
    ec2.add_instance("i-0feedbeef0000001", state="running", ip="203.0.113.7", world="midgard")
    ec2.add_instance("i-0other0000000002", state="running", world="other")
    try:
        text = config(tmp_path, game_port, action="ec2-stop",
                      extra=f"aws:\n  imds_endpoint: {imds.endpoint}\n  ec2_endpoint: {ec2.endpoint}\n")
        with run_agent(bus, text) as agent:
            agent.wait_ready()
            wait_until(lambda: "StopInstances" in ec2.actions(), 20,
                       lambda: f"StopInstances; auth failures={ec2.auth_failures} stderr={agent.stderr()[-1500:]}")
            assert ec2.auth_failures == []
            (action, params), = [c for c in ec2.calls if c[0] == "StopInstances"]
            assert params["InstanceId.1"] == "i-0feedbeef0000001"
            assert ec2.instances["i-0feedbeef0000001"].state == "stopping"
            assert ec2.instances["i-0other0000000002"].state == "running"
            # IMDSv2: a token first, every read with it
            assert imds.requests[0][:2] == ("PUT", "/latest/api/token")
            assert all(status == 200 for _, _, status in imds.requests), imds.requests
            assert "/latest/meta-data/iam/security-credentials/sigrun-world" in imds.paths("GET")
            # the game was stopped first, and nothing powered the host off
            assert bus.methods() == ["StopUnit"]
            wait_until(lambda: "Shutdown complete" in agent.stderr(), 5, "completion in the log")
            finish(agent)
    finally:
        ec2.stop()
        imds.stop()


def test_webhook_posts_and_honours_429(bus, tmp_path, game_port, webhook):
    bus.start_logind()
    bus.start_systemd(emit_job_removed=True)
    webhook.rate_limit_next(1, retry_after=1.5)

    text = config(tmp_path, game_port, action="none", webhook=webhook.url)
    with run_agent(bus, text) as agent:
        agent.wait_ready()
        webhook.wait_for(lambda posts: any(e.get("title") == "Server stopped"
                                           for _, s, b in posts if s == 204 for e in b["embeds"]), 20)
        posts = webhook.posts
        assert posts[0][1] == 429
        # the same message again, not before retry_after
        assert posts[1][2] == posts[0][2]
        assert posts[1][0] - posts[0][0] >= 1.4, [p[0] for p in posts]
        for body in webhook.accepted():
            assert body["allowed_mentions"] == {"parse": []}
            assert len(body["embeds"]) == 1
        titles = webhook.titles()
        assert titles.index("Server stopped") == len(titles) - 1
        assert bus.methods() == ["StopUnit"]   # action none: no power-off
        finish(agent)


def test_dead_webhook_does_not_delay_the_stop(bus, tmp_path, game_port):
    bus.start_logind()
    bus.start_systemd(emit_job_removed=True)
    # accepts connections (backlog) and never answers
    black_hole = socket.socket()
    black_hole.bind(("127.0.0.1", 0))
    black_hole.listen(16)
    url = f"http://127.0.0.1:{black_hole.getsockname()[1]}/hook"
    try:
        text = config(tmp_path, game_port, webhook=url)
        with run_agent(bus, text) as agent:
            agent.wait_ready()
            started = time.monotonic()
            bus.wait_call("PowerOff", 20)
            # the grace is 2 s; a stuck webhook post (10 s timeout) must not add to it
            assert time.monotonic() - started < 8
            finish(agent)
    finally:
        black_hole.close()


def test_exec_action_runs_the_command(bus, tmp_path, game_port):
    bus.start_logind()
    bus.start_systemd(emit_job_removed=True)
    marker = tmp_path / "ran"
    text = config(tmp_path, game_port, action="exec",
                  extra_watchdog=f"  exec: echo \"$SIGRUN_SHUTDOWN_REASON\" > {marker}\n")
    with run_agent(bus, text) as agent:
        agent.wait_ready()
        wait_until(marker.exists, 20, lambda: f"the command; stderr={agent.stderr()[-1500:]}")
        assert marker.read_text().strip() != ""
        stop = bus.wait_call("StopUnit", 1)
        assert stop[0] <= marker.stat().st_mtime + 0.01
        wait_until(lambda: "Shutdown complete" in agent.stderr(), 5, "completion in the log")
        assert bus.methods() == ["StopUnit"]
        finish(agent)


def test_failing_poweroff_is_reported_and_the_loop_lives_on(bus, tmp_path, game_port, webhook):
    logind = bus.start_logind()
    dbus.Interface(logind, MOCK).AddMethod(
        LOGIND_MANAGER, "PowerOff", "b", "",
        "raise dbus.exceptions.DBusException('Access denied', "
        "name='org.freedesktop.DBus.Error.AccessDenied')")
    bus.start_systemd(emit_job_removed=True)

    text = config(tmp_path, game_port, webhook=webhook.url)
    with run_agent(bus, text) as agent:
        agent.wait_ready()
        bus.wait_call("PowerOff", 20)
        wait_until(lambda: "FAILED" in agent.stderr(), 5, "the failure in the log")
        err = agent.stderr()
        assert re.search(r"Shutdown action poweroff FAILED \(attempt 1\): .*Access denied.* Retrying in 30s", err), err
        webhook.wait_for(lambda posts: any(e.get("title") == "Shutdown failed"
                                           for _, s, b in posts if s == 204 for e in b["embeds"]), 5)
        time.sleep(0.5)
        assert agent.proc.poll() is None, "the agent gave up after a failed action"
        finish(agent)


def _accepts(tmp_path, text):
    p = tmp_path / "check.yaml"
    p.write_text(text)
    r = subprocess.run([str(AGENT), "--config", str(p), "--check-config"], capture_output=True, text=True)
    return r.returncode == 0


def test_failing_action_is_retried_until_it_works(bus, tmp_path, game_port):
    bus.start_logind()
    bus.start_systemd(emit_job_removed=True)
    count = tmp_path / "attempts"
    # fails the first time, works the second
    cmd = f"n=$(cat {count} 2>/dev/null || echo 0); echo $((n+1)) > {count}; [ $n -ge 1 ]"
    text = config(tmp_path, game_port, action="exec",
                  extra_watchdog=f"  exec: '{cmd}'\n  action_retry: 1s\n")
    assert _accepts(tmp_path, text), "watchdog.action_retry must be a config key"
    with run_agent(bus, text) as agent:
        agent.wait_ready()
        wait_until(lambda: count.exists() and count.read_text().strip() == "2", 20,
                   lambda: f"a second attempt; stderr={agent.stderr()[-1500:]}")
        wait_until(lambda: "Shutdown complete" in agent.stderr(), 5, "completion in the log")
        err = agent.stderr()
        assert "Shutdown action exec FAILED (attempt 1): the command exited with status 1" in err
        assert "attempt 2" in err
        finish(agent)

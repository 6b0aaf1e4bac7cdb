"""Start and watch a real sigrun-agent from a test.

The agent runs as a child process with NOTIFY_SOCKET pointing at a datagram
socket this module listens on, exactly as systemd would give it, so tests can
wait for READY=1 and read every STATUS= line the agent sends.

    with Agent(config_text) as agent:
        agent.wait_ready()
        agent.wait_status(r"^2 players")

Optionally the agent runs inside a network namespace (netns="ns0") through
`ip netns exec`.
"""
import os
import pathlib
import re
import select
import signal
import socket
import subprocess
import tempfile
import time

from conftest import BUILDDIR

AGENT = BUILDDIR / "agent" / "sigrun-agent"


def run_replay(capture, config_text=None, extra=(), check=True):
    """Run --replay and return the parsed JSON lines."""
    import json

    args = [str(AGENT)]
    tmp = None
    if config_text is not None:
        tmp = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False)
        tmp.write(config_text)
        tmp.close()
        args += ["--config", tmp.name]
    args += ["--replay", str(capture), *extra]
    try:
        p = subprocess.run(args, capture_output=True, text=True, timeout=120)
    finally:
        if tmp:
            os.unlink(tmp.name)
    if check:
        assert p.returncode == 0, f"replay failed ({p.returncode}): {p.stderr}"
    events = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    return events, p


class Agent:
    def __init__(self, config_text="", netns=None, args=(), env=None, config_path=None, wrapper=()):
        self.dir = tempfile.TemporaryDirectory(prefix="sigrun-agent-")
        d = pathlib.Path(self.dir.name)
        self.config_path = pathlib.Path(config_path) if config_path else d / "agent.yaml"
        if config_path is None:
            self.config_path.write_text(config_text)
        self.notify_path = str(d / "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.notify_path)
        os.chmod(d, 0o777)
        os.chmod(self.notify_path, 0o777)
        self.netns = netns
        self.wrapper = list(wrapper)   # command prefix, e.g. a journald namespace
        self.args = list(args)
        self.env = dict(os.environ)
        self.env["NOTIFY_SOCKET"] = self.notify_path
        self.env.pop("JOURNAL_STREAM", None)
        if env:
            self.env.update(env)
        self.proc = None
        self.messages = []   # every notify datagram, decoded
        self.statuses = []   # STATUS= values in order
        self.ready = False
        self.stderr_path = d / "stderr.log"

    def start(self):
        cmd = [str(AGENT), "--config", str(self.config_path), *self.args]
        cmd = [*self.wrapper, *cmd]
        if self.netns:
            cmd = ["ip", "netns", "exec", self.netns, *cmd]
        self._stderr = open(self.stderr_path, "w")
        self.proc = subprocess.Popen(cmd, env=self.env, stdout=subprocess.PIPE, stderr=self._stderr,
                                     text=True)
        return self

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        self.sock.close()
        self.dir.cleanup()

    def stderr(self):
        self._stderr.flush()
        return self.stderr_path.read_text()

    def _drain(self, timeout):
        r, _, _ = select.select([self.sock], [], [], max(0.0, timeout))
        if not r:
            return False
        data = self.sock.recv(65536).decode()
        self.messages.append(data)
        for line in data.split("\n"):
            if line == "READY=1":
                self.ready = True
            elif line.startswith("STATUS="):
                self.statuses.append(line[len("STATUS="):])
        return True

    def wait_for(self, predicate, timeout=10.0, what="condition"):
        deadline = time.monotonic() + timeout
        while True:
            if predicate():
                return
            if self.proc.poll() is not None:
                # read what is left, then give up
                while self._drain(0):
                    pass
                if predicate():
                    return
                raise AssertionError(f"agent exited ({self.proc.returncode}) before {what}; "
                                     f"statuses={self.statuses[-5:]} stderr={self.stderr()[-2000:]}")
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out waiting for {what}; statuses={self.statuses[-5:]} "
                                     f"stderr={self.stderr()[-2000:]}")
            self._drain(min(left, 0.2))

    def collect(self, seconds):
        """Read notify messages for `seconds`, e.g. to show that nothing changed."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self._drain(min(left, 0.2))

    def wait_ready(self, timeout=10.0):
        self.wait_for(lambda: self.ready, timeout, "READY=1")

    def wait_status(self, pattern, timeout=10.0):
        rx = re.compile(pattern)
        self.wait_for(lambda: bool(self.statuses) and rx.search(self.statuses[-1]), timeout,
                      f"STATUS matching {pattern!r}")
        return self.statuses[-1]

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=10.0):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("agent did not exit on SIGTERM")
        if self.proc:
            self._stderr.close()
        return self.proc.returncode if self.proc else None

"""A fake Lambda runtime API (2018-06-01), enough to drive a custom runtime.

GET /runtime/invocation/next blocks until the test queues an event, then
hands it over with Lambda-Runtime-Aws-Request-Id and
Lambda-Runtime-Deadline-Ms, as Lambda does. Responses, invocation errors and
init errors are collected; invoke() queues an event and waits for its result.
Runs in a thread of the test process.
"""
import itertools
import json
import queue
import threading
import time

from fakeserver import FakeHandler, FakeService


class FakeLambdaRuntime(FakeService):
    def __init__(self, host="127.0.0.1"):
        super().__init__(host)
        self.events = queue.Queue()
        self.results = {}           # request id -> ("response"|"error", status, body bytes, headers)
        self.init_errors = []       # (headers, body)
        self.next_calls = 0
        self._cond = threading.Condition()
        self._ids = itertools.count(1)

    @property
    def address(self):
        return f"{self.host}:{self.port}"

    class Handler(FakeHandler):
        def _reply(self, status, body, headers=()):
            self.reply(status, body, headers, "application/json")

        def do_GET(self):
            fake = self.fake
            if self.path != "/2018-06-01/runtime/invocation/next":
                return self._reply(404, b'{"errorMessage":"not found"}')
            with fake._cond:
                fake.next_calls += 1
                fake._cond.notify_all()
            item = fake.events.get()
            if item is None:
                return self._reply(500, b"{}")
            rid, body, deadline_ms = item
            self._reply(200, body, [("Lambda-Runtime-Aws-Request-Id", rid),
                                    ("Lambda-Runtime-Deadline-Ms", str(deadline_ms)),
                                    ("Lambda-Runtime-Invoked-Function-Arn",
                                     "arn:aws:lambda:eu-north-1:123456789012:function:sigrun")])

        def do_POST(self):
            fake, body = self.fake, self.body()
            parts = self.path.split("/")
            with fake._cond:
                if self.path == "/2018-06-01/runtime/init/error":
                    fake.init_errors.append((dict(self.headers), body))
                elif len(parts) == 6 and parts[3] == "invocation" and parts[5] in ("response", "error"):
                    fake.results[parts[4]] = (parts[5], body, dict(self.headers))
                else:
                    self._reply(404, b"{}")
                    return
                fake._cond.notify_all()
            self._reply(202, b'{"status":"OK"}')

    def stop(self):
        if self._server:
            for _ in range(4):  # wake the handlers blocked in GET .../next
                self.events.put(None)
        super().stop()

    def queue_event(self, event, deadline_in=3.0):
        rid = f"{next(self._ids):08d}-8b6c-4d35-9b68-7c3a1c2f0a11"
        body = event if isinstance(event, bytes) else json.dumps(event).encode()
        self.events.put((rid, body, int((time.time() + deadline_in) * 1000)))
        return rid

    def wait_result(self, rid, timeout=10.0):
        with self._cond:
            if not self._cond.wait_for(lambda: rid in self.results, timeout):
                raise TimeoutError(f"no result for invocation {rid}")
            return self.results[rid]

    def invoke(self, event, timeout=10.0, deadline_in=3.0):
        """Queue one event and return (kind, parsed body) of its result."""
        kind, body, _ = self.wait_result(self.queue_event(event, deadline_in), timeout)
        return kind, json.loads(body)

    def wait_init_error(self, timeout=10.0):
        with self._cond:
            if not self._cond.wait_for(lambda: self.init_errors, timeout):
                raise TimeoutError("no init error")
            return self.init_errors[0]

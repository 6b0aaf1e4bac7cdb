"""A local stand-in for a Discord webhook: records every post, and answers
429 Too Many Requests on demand, as Discord does (JSON body with retry_after
in seconds, plus the Retry-After header), so tests can check that the client
waits before posting again.

Runs in a thread of the test process:
    hook = WebhookReceiver(); hook.start()
    hook.url                       # http://127.0.0.1:PORT/hook
    hook.rate_limit_next(1, 1.5)   # the next post gets a 429, retry_after 1.5 s
    hook.wait_for(lambda posts: ..., timeout)
    hook.posts                     # [(monotonic time, status answered, json body)]
"""
import json
import threading
import time

from fakeserver import FakeHandler, FakeService


class WebhookReceiver(FakeService):
    def __init__(self, host="127.0.0.1", path="/hook"):
        super().__init__(host)
        self.path = path
        self.posts = []        # every request: (time.monotonic(), status, parsed body or None)
        self._limits = []      # pending 429s: (retry_after, in_body)
        self._failures = []    # pending other failures: status
        self._cond = threading.Condition()

    @property
    def url(self):
        return f"{self.origin}{self.path}"

    def rate_limit_next(self, count=1, retry_after=1.0, in_body=True):
        """The next count posts get a 429; retry_after in the JSON body (and
        the Retry-After header, rounded up), or only in the header."""
        with self._cond:
            self._limits.extend([(retry_after, in_body)] * count)

    def fail_next(self, count=1, status=500):
        with self._cond:
            self._failures.extend([status] * count)

    def accepted(self):
        """Bodies of the posts answered 204, in order."""
        with self._cond:
            return [body for _, status, body in self.posts if status == 204]

    def titles(self):
        return [e.get("title") for b in self.accepted() for e in (b or {}).get("embeds", [])]

    def wait_for(self, predicate, timeout=10.0):
        with self._cond:
            if not self._cond.wait_for(lambda: predicate(self.posts), timeout):
                raise AssertionError(f"webhook condition not met; posts={self.posts}")

    class Handler(FakeHandler):
        def do_POST(self):
            hook, raw = self.fake, self.body()
            if self.path.split("?")[0] != hook.path:
                return self.reply(404, b'{"message": "Unknown Webhook", "code": 10015}')
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            with hook._cond:
                if body is None or self.headers.get("Content-Type", "").split(";")[0] != "application/json":
                    status, reply, headers = 400, b'{"message": "Cannot send an empty message", "code": 50006}', []
                elif hook._limits:
                    retry_after, in_body = hook._limits.pop(0)
                    status = 429
                    reply = json.dumps({"message": "You are being rate limited.", "global": False,
                                        **({"retry_after": retry_after} if in_body else {})}).encode()
                    headers = [("Retry-After", str(int(-(-retry_after // 1)))),
                               ("Content-Type", "application/json")]
                elif hook._failures:
                    status, reply, headers = hook._failures.pop(0), b"", []
                else:
                    status, reply, headers = 204, b"", []
                hook.posts.append((time.monotonic(), status, body))
                hook._cond.notify_all()
            self.reply(status, reply, headers)

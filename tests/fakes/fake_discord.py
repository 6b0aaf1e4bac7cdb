"""A fake Discord REST API for `sigrun register`, `list` and `delete`.

Checks what Discord checks for application commands: a `Bot` token, a JSON
array body for the bulk overwrite (PUT replaces the whole set), names that
match Discord's pattern, descriptions of 1-100 characters, known option
types, required options before optional ones, at most 25 options. Answers
429 with retry_after on demand (rate_limit(n, seconds)) and records when each
request came, so a test can check that the wait was respected.
"""
import itertools
import json
import re
import threading
import time

from fakeserver import FakeHandler, FakeService

NAME_RE = re.compile(r"^[-_\w]{1,32}$")
OPTION_TYPES = set(range(1, 12))


class FakeDiscord(FakeService):
    def __init__(self, token="bot-token", application_id="400000000000000004", host="127.0.0.1"):
        super().__init__(host)
        self.token = token
        self.application_id = application_id
        self.global_commands = []
        self.guild_commands = {}
        self.requests = []        # (time, method, path, status)
        self._limited = []        # retry_after values for the next requests
        self._ids = itertools.count(900000000000000001)
        self._lock = threading.RLock()

    @property
    def base(self):
        return f"{self.origin}/api/v10"

    def rate_limit(self, times=1, retry_after=0.3):
        self._limited.extend([retry_after] * times)

    class Handler(FakeHandler):
        def _send(self, status, obj=None, headers=()):
            if obj is None:
                self.reply(status, headers=headers)
            else:
                self.reply_json(status, obj, headers)
            with self.fake._lock:
                self.fake.requests.append((time.monotonic(), self.command, self.path, status))

        def _handle(self):
            fake, body = self.fake, self.body()
            if self.headers.get("Authorization") != f"Bot {fake.token}":
                return self._send(401, {"message": "401: Unauthorized", "code": 0})
            if fake._limited:
                ra = fake._limited.pop(0)
                return self._send(429, {"message": "You are being rate limited.", "retry_after": ra,
                                        "global": False},
                                  [("Retry-After", str(max(1, int(ra)))), ("X-RateLimit-Scope", "user")])
            m = re.fullmatch(r"/api/v10/applications/(\d+)(?:/guilds/(\d+))?/commands(?:/(\d+))?", self.path)
            if not m or m.group(1) != fake.application_id:
                return self._send(404, {"message": "Unknown Application", "code": 10002})
            guild, cid = m.group(2), m.group(3)
            with fake._lock:
                store = fake.guild_commands.setdefault(guild, []) if guild else fake.global_commands
                if self.command == "GET" and not cid:
                    return self._send(200, store)
                if self.command == "PUT" and not cid:
                    try:
                        cmds = json.loads(body)
                        problems = validate(cmds)
                    except ValueError:
                        problems = ["body is not JSON"]
                    if problems:
                        return self._send(400, {"message": "Invalid Form Body", "code": 50035,
                                                "errors": problems})
                    new = [dict(c, id=str(next(fake._ids)), application_id=fake.application_id,
                                version="1") for c in cmds]
                    store[:] = new
                    return self._send(200, new)
                if self.command == "DELETE" and cid:
                    for c in store:
                        if c["id"] == cid:
                            store.remove(c)
                            return self._send(204)
                    return self._send(404, {"message": "Unknown application command", "code": 10063})
            return self._send(405, {"message": "405: Method Not Allowed", "code": 0})

        do_GET = do_PUT = do_DELETE = do_POST = _handle


def validate(cmds):
    problems = []
    if not isinstance(cmds, list):
        return ["body must be an array of commands"]
    if len({c.get("name") for c in cmds}) != len(cmds):
        problems.append("duplicate command names")
    for c in cmds:
        name = c.get("name", "")
        if not NAME_RE.match(name) or name != name.lower():
            problems.append(f"bad name {name!r}")
        if not 1 <= len(c.get("description", "")) <= 100:
            problems.append(f"{name}: description must be 1-100 characters")
        if c.get("type", 1) != 1:
            problems.append(f"{name}: not a slash command")
        if "default_member_permissions" not in c:
            problems.append(f"{name}: default_member_permissions missing")
        opts = c.get("options", [])
        if len(opts) > 25:
            problems.append(f"{name}: too many options")
        seen_optional = False
        for o in opts:
            if o.get("type") not in OPTION_TYPES:
                problems.append(f"{name}: option type {o.get('type')}")
            if not NAME_RE.match(o.get("name", "")):
                problems.append(f"{name}: option name {o.get('name')!r}")
            if not 1 <= len(o.get("description", "")) <= 100:
                problems.append(f"{name}.{o.get('name')}: description must be 1-100 characters")
            if o.get("required"):
                if seen_optional:
                    problems.append(f"{name}: required option after optional one")
            else:
                seen_optional = True
            if o.get("autocomplete") and o.get("type") not in (3, 4, 10):
                problems.append(f"{name}.{o.get('name')}: autocomplete on a non-text option")
    return problems

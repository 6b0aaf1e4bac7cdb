"""A fake sigrun-agent connection API that checks what the real agent checks.

GET /v1/status is public; GET /v1/players, POST /v1/shutdown and
POST /v1/inhibit need the HMAC headers of design brief §3, verified here
independently with Python's hmac/hashlib: 60 s window, constant-time compare,
nonces remembered within the window. The players and the answers are set by
the test; `delay` makes every answer slow (to test timeouts).
"""
import hashlib
import hmac
import json
import threading
import time

from fakeserver import FakeHandler, FakeService


class FakeAgent(FakeService):
    def __init__(self, key, host="127.0.0.1", port=0, players=(), ready=True, uptime=3720,
                 watchdog="active", stop_at=None, shutdown_status=None):
        super().__init__(host, port)
        self.key = bytes.fromhex(key) if isinstance(key, str) else key
        self.players = list(players)     # names; None for a player without a name
        self.ready = ready
        self.uptime = uptime
        self.watchdog = watchdog
        self.stop_at = stop_at
        self.shutdown_status = shutdown_status  # e.g. 503 to refuse
        self.delay = 0.0
        self.requests = []               # (method, path, authenticated)
        self.auth_failures = []
        self.shutdowns = []              # force flags of accepted shutdowns
        self._nonces = {}
        self._lock = threading.Lock()

    class Handler(FakeHandler):
        def _send(self, status, obj):
            if self.fake.delay:
                time.sleep(self.fake.delay)
            self.reply_json(status, obj)

        def do_GET(self):
            fake, body = self.fake, self.body()
            if self.path == "/v1/status":
                fake._log("GET", self.path, False)
                return self._send(200, fake.status())
            if self.path == "/v1/players":
                if not fake._auth(self, body):
                    return self._send(401, {"error": "authentication failed"})
                return self._send(200, fake.players_body())
            self._send(404, {"error": "not found"})

        def do_POST(self):
            fake, body = self.fake, self.body()
            if self.path not in ("/v1/shutdown", "/v1/inhibit"):
                return self._send(404, {"error": "not found"})
            if not fake._auth(self, body):
                return self._send(401, {"error": "authentication failed"})
            try:
                req = json.loads(body)
            except ValueError:
                return self._send(400, {"error": "malformed JSON"})
            if self.path == "/v1/inhibit":
                return self._send(200, {"inhibited_until": 0})
            if fake.shutdown_status:
                return self._send(fake.shutdown_status, {"error": "watchdog not available"})
            force = req.get("force") is True
            named = [p or "unknown player" for p in fake.players]
            if named and not force:
                return self._send(409, {"error": f"{len(named)} player{'s' if len(named) != 1 else ''} "
                                                 f"connected: {', '.join(named)}"})
            fake.shutdowns.append(force)
            self._send(202, {"status": "stopping"})

    def status(self):
        """The shape sigrun-agent's GET /v1/status has (agent/agent.c)."""
        stop_at = None if not self.stop_at else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.stop_at))
        return {"world": "Midgard", "game": "valheim", "players": len(self.players), "ready": self.ready,
                "uptime": self.uptime, "version": "0.1.0",
                "watchdog": {"state": self.watchdog, "stop_at": stop_at,
                             "stop_in": max(0, int(self.stop_at - time.time())) if self.stop_at else None,
                             "inhibited_until": None, "summary": "", "action": "poweroff"}}

    def players_body(self):
        """GET /v1/players: the count, each player (name or null), the sources."""
        since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 600))
        return {"players": len(self.players),
                "list": [{"name": p, "since": since, "sources": ["log" if p else "capture"]} for p in self.players],
                "sources": [{"name": "capture", "health": "healthy", "players": len(self.players)}]}

    def _log(self, method, path, authed):
        with self._lock:
            self.requests.append((method, path, authed))

    def _auth(self, handler, body):
        ts = handler.headers.get("X-Sigrun-Timestamp")
        nonce = handler.headers.get("X-Sigrun-Nonce")
        sig = handler.headers.get("X-Sigrun-Signature")
        ok, reason = False, None
        if not (ts and nonce and sig):
            reason = "missing headers"
        elif not ts.isdigit() or abs(int(ts) - time.time()) > 60:
            reason = "stale timestamp"
        elif len(nonce) != 32 or any(c not in "0123456789abcdef" for c in nonce):
            reason = "bad nonce"
        else:
            m = f"{ts}\n{nonce}\n{handler.command}\n{handler.path}\n{hashlib.sha256(body).hexdigest()}"
            expected = hmac.new(self.key, m.encode(), hashlib.sha256).hexdigest()
            if not hmac.compare_digest(expected, sig):
                reason = "bad signature"
            else:
                with self._lock:
                    now = time.time()
                    self._nonces = {n: t for n, t in self._nonces.items() if now - t < 120}
                    if nonce in self._nonces:
                        reason = "replayed nonce"
                    else:
                        self._nonces[nonce] = now
                        ok = True
        if reason:
            self.auth_failures.append(reason)
        self._log(handler.command, handler.path, ok)
        return ok

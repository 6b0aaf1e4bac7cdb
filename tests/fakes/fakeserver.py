"""What every fake HTTP service here shares, so each fake holds only what its
real service checks and answers.

FakeService runs a fake on host:port (port 0: a free one) in a thread of the
test process: start() returns the fake, stop() ends it, `port` and `origin`
say where it listens. A fake subclasses it and sets `Handler`, a FakeHandler
subclass that reaches the fake through `self.fake`. FakeHandler speaks
HTTP/1.1 (keep-alive, as the clients under test use it), writes each answer in
one piece (no Nagle/delayed-ACK stalls), logs nothing, and ignores a client
that hung up before its answer. The server is threaded, and quiet about
clients that hang up mid-connection (a runtime process killed between
invocations, a timeout test giving up), which is normal here and not worth a
traceback.
"""
import http.server
import json
import sys
import threading


class FakeHTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class FakeHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wbufsize = 1 << 16  # one write per answer: no Nagle/delayed-ACK stalls

    @property
    def fake(self):
        return self.server.fake

    def log_message(self, *args):
        pass

    def body(self):
        """The request body (Content-Length bytes; none without the header)."""
        n = int(self.headers.get("Content-Length", "0") or 0)
        return self.rfile.read(n) if n else b""

    def reply(self, status, body=b"", headers=(), content_type=None):
        try:
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            if content_type:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def reply_json(self, status, obj, headers=()):
        self.reply(status, json.dumps(obj).encode(), headers, "application/json")


class FakeService:
    Handler = FakeHandler

    def __init__(self, host="127.0.0.1", port=0):
        self.host = host
        self.port = port
        self._server = None

    @property
    def origin(self):
        return f"http://{self.host}:{self.port}"

    def start(self):
        self._server = FakeHTTPServer((self.host, self.port), self.Handler)
        self._server.fake = self
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

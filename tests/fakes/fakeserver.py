"""The HTTP server the fakes run on: threaded, and quiet about clients that
hang up mid-connection (a runtime process killed between invocations, a
timeout test giving up), which is normal here and not worth a traceback."""
import http.server
import sys


class FakeHTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)

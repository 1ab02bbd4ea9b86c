# -*- coding: utf-8 -*-
"""Web function hello-web: a plain HTTP server (standard library only).

SCF forwards the raw HTTP request and tells the function about it in X-Scf-*
request headers; every path answers JSON naming the version that ran.
It listens on 0.0.0.0:${PORT:-9000} as web functions must; BIND_HOST overrides
the address (benchmarks bind it to 127.0.0.1).
"""
import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MESSAGE = "hello from web"


class Handler(BaseHTTPRequestHandler):
    # Keep-alive, so a gateway or benchmark can reuse connections.
    protocol_version = "HTTP/1.1"
    # Headers and body leave in separate writes; with Nagle on, a keep-alive
    # client waits for the delayed ACK (about 40 ms) on every request.
    disable_nagle_algorithm = True
    server_version = "hello-web"

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        body = {
            "function": os.environ.get("SCF_FUNCTIONNAME") or self.headers.get("X-Scf-Name"),
            "version": self.headers.get("X-Scf-Version"),
            "runtime": "web",
            "message": MESSAGE,
            "path": self.path.split("?", 1)[0],
            "requestId": self.headers.get("X-Scf-Request-Id"),
        }
        data = json.dumps(body).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _answer

    def log_message(self, fmt, *args):
        # No access log: the emulator records every request itself, and a
        # line per request would dominate the gateway benchmark.
        pass


def main():
    host = os.environ.get("BIND_HOST", "0.0.0.0")
    port = int(os.environ.get("PORT") or 9000)
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    print("hello-web listening on %s:%d" % (host, port), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()

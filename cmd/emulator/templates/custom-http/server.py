# -*- coding: utf-8 -*-
"""An SCF web function, written by `emulator init`.

scf_bootstrap starts this plain HTTP server; the platform forwards each request
to it as is, with X-Scf-* headers. It must listen on port 9000 (the emulator's
process runtime sets $PORT instead).
"""
import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        data = json.dumps({
            "message": "hello from a custom web function",
            "function": os.environ.get("SCF_FUNCTIONNAME"),
            "version": self.headers.get("X-Scf-Version"),
            "path": self.path,
        }).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _answer


if __name__ == "__main__":
    port = int(os.environ.get("PORT") or 9000)
    print("listening on port", port, flush=True)
    ThreadingHTTPServer(("0.0.0.0", port), Handler).serve_forever()

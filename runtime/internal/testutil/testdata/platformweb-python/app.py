# A web function as the platform's documentation writes it: scf_bootstrap
# runs /var/lang/python3/bin/python3 app.py and the server binds 0.0.0.0:9000.
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer


def writable(path):
    try:
        name = os.path.join(path, ".scf-write-check")
        with open(name, "w") as f:
            f.write("x")
        os.remove(name)
        return True
    except OSError:
        return False


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({
            "runtime": "python",
            "executable": sys.executable,
            "path": self.path,
            "cwd": os.getcwd(),
            "writable": {p: writable(p) for p in ["/", "/var/user", "/var/lang", "/opt", "/etc", "/tmp"]},
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)


HTTPServer(("0.0.0.0", 9000), Handler).serve_forever()

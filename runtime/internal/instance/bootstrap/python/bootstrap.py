"""SCF emulator bootstrap for Python event functions.

Runs inside the function's code directory (the working directory), imports
the handler named by _HANDLER ("index.main_handler", "src/app.handler") and
serves invocations through the SCF Custom Runtime API at
$SCF_RUNTIME_API:$SCF_RUNTIME_API_PORT. Standard library only.
"""

import importlib
import json
import os
import socket
import sys

# The runtime API is on loopback, so a few lines of HTTP/1.1 over a socket do:
# urllib.request would import ssl and email and add ~100 ms to every cold start.
# One keep-alive connection carries every call (a connection per call cost the
# emulator an accept and a close, and this process a connect, per message).
_ADDR = None
_CONN = None  # the kept connection and its read buffer: [socket, bytearray]
# The end-of-invocation marker prefix (see the runtime's output_marker.go).
_MARK = b""


class _Closed(Exception):
    """The runtime API closed the kept connection before answering."""


def _exchange(conn, method, path, body, content_type):
    sock, buf = conn
    head = "%s %s HTTP/1.1\r\nHost: runtime\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n" % (
        method, path, content_type, len(body))
    sock.sendall(head.encode("ascii") + body)
    while True:
        end = buf.find(b"\r\n\r\n")
        if end >= 0:
            break
        data = sock.recv(65536)
        if not data:
            raise _Closed() if not buf else RuntimeError("runtime API closed the connection mid-answer")
        buf += data
    lines = bytes(buf[:end]).decode("latin-1").split("\r\n")
    del buf[:end + 4]
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = headers.get("content-length")
    keep = headers.get("connection", "").lower() != "close" and length is not None
    if length is None:  # the body runs to EOF
        while True:
            data = sock.recv(65536)
            if not data:
                break
            buf += data
        length = len(buf)
    length = int(length)
    while len(buf) < length:
        data = sock.recv(65536)
        if not data:
            raise RuntimeError("runtime API closed the connection mid-answer")
        buf += data
    payload = bytes(buf[:length])
    del buf[:length]
    return lines[0], headers, payload, keep


def _request(method, path, body=b"", content_type="text/plain"):
    """Returns (headers with lower-case names, body bytes)."""
    global _CONN
    for attempt in (0, 1):
        fresh = _CONN is None
        if fresh:
            _CONN = [socket.create_connection(_ADDR), bytearray()]
        conn = _CONN
        try:
            status_line, headers, payload, keep = _exchange(conn, method, path, body, content_type)
        except (_Closed, ConnectionError) as exc:
            conn[0].close()
            _CONN = None
            # A kept connection the server closed while idle: once more on
            # a new one. A new connection failing is the answer.
            if fresh or attempt:
                raise RuntimeError("runtime API %s %s: %s" % (method, path, exc or "connection closed"))
            continue
        except Exception:
            conn[0].close()
            _CONN = None
            raise
        if not keep:
            conn[0].close()
            _CONN = None
        break
    status = status_line.split(" ", 2)
    if len(status) < 2 or not status[1].startswith("2"):
        raise RuntimeError("runtime API %s %s answered %r" % (method, path, status_line))
    return headers, payload


def _post(path, body, content_type):
    _request("POST", path, body, content_type)


def _end_output(request_id):
    """Writes the end markers behind everything the invocation printed: the
    emulator attributes the output before them to this invocation."""
    if not _MARK:
        return
    for streams, fd, tag in (((sys.stdout, sys.__stdout__), 1, b"o"), ((sys.stderr, sys.__stderr__), 2, b"e")):
        for s in streams:  # the user's replacement, if any, and the original
            try:
                s.flush()
            except Exception:
                pass
        try:
            os.write(fd, _MARK + tag + request_id.encode("utf-8", "replace") + b"\n")
        except OSError:
            pass  # the code closed it: the emulator stops waiting after a while


def _load_handler(spec):
    module_path, _, func_name = spec.rpartition(".")
    if not module_path or not func_name:
        raise ValueError("handler %r is not of the form file.function" % spec)
    module_name = module_path.replace("/", ".").strip(".")
    module = importlib.import_module(module_name)
    handler = getattr(module, func_name, None)
    if not callable(handler):
        raise AttributeError("handler function %r not found in module %r" % (func_name, module_name))
    return handler


def _user_paths(text):
    """Shows the code directory as /var/user, where the platform keeps it."""
    root = os.getcwd()
    if root == "/var/user":
        return text
    return text.replace(root + os.sep, "/var/user/").replace(root, "/var/user")


def _user_traceback(exc):
    """Formats exc without the frames of this bootstrap and of importlib:
    the user wants to see their own code."""
    import traceback  # only on errors: it costs start-up time

    here = os.path.abspath(__file__)
    frames = [
        f for f in traceback.extract_tb(exc.__traceback__)
        if os.path.abspath(f.filename) != here
        and not f.filename.startswith("<frozen importlib")
        and not f.filename.endswith(os.path.join("importlib", "__init__.py"))
    ]
    lines = traceback.format_exception_only(type(exc), exc)
    if frames:
        lines = ["Traceback (most recent call last):\n"] + traceback.format_list(frames) + lines
    return _user_paths("".join(lines))


def _start_debugger(listen):
    """Listens for a debugger (emulator up --debug) before the user's code is
    imported, so that breakpoints at module level bind too. The adapter
    debugpy starts is a child process: it goes when this instance goes."""
    host, _, port = listen.rpartition(":")
    try:
        import debugpy
    except ImportError as exc:
        sys.stderr.write("cannot debug: %s cannot import debugpy (%s): install python3-debugpy or pip install debugpy\n"
                         % (sys.executable, exc))
        sys.exit(1)
    debugpy.listen((host, int(port)))


def main():
    global _ADDR, _MARK
    _ADDR = (os.environ["SCF_RUNTIME_API"], int(os.environ["SCF_RUNTIME_API_PORT"]))
    _MARK = os.environ.pop("_SCF_LOG_MARK", "").encode("latin-1")
    environment = os.environ.pop("_SCF_CONTEXT_ENVIRONMENT", "{}")
    try:
        environ = ";".join("%s=%s" % kv for kv in json.loads(environment).items())
    except ValueError:
        environ = ""
    static = {
        "function_name": os.environ.get("SCF_FUNCTIONNAME", ""),
        "function_version": os.environ.get("SCF_FUNCTIONVERSION", ""),
        "namespace": os.environ.get("SCF_NAMESPACE", "default"),
        "environment": environment,
        "environ": environ,
        "tencentcloud_region": os.environ.get("TENCENTCLOUD_REGION", ""),
        "tencentcloud_appid": os.environ.get("TENCENTCLOUD_APPID", ""),
        "tencentcloud_uin": os.environ.get("TENCENTCLOUD_UIN", ""),
    }

    # The user's code, not this script's directory, is importable.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    sys.path.insert(0, os.getcwd())

    listen = os.environ.pop("_SCF_DEBUG_LISTEN", "")
    if listen:
        _start_debugger(listen)

    try:
        handler = _load_handler(os.environ.get("_HANDLER") or "index.main_handler")
    except Exception as exc:
        sys.stderr.write(_user_traceback(exc))
        sys.exit(1)

    _post("/runtime/init/ready", b" ", "text/plain")
    while True:
        headers, body = _request("GET", "/runtime/invocation/next")
        context = dict(static)
        context["request_id"] = headers.get("request_id", "")
        context["memory_limit_in_mb"] = int(headers.get("memory_limit_in_mb") or 0)
        context["time_limit_in_ms"] = int(headers.get("time_limit_in_ms") or 0)
        try:
            event = json.loads(body) if body else {}
        except ValueError:
            event = body.decode("utf-8", "replace")

        try:
            result = handler(event, context)
            payload = json.dumps(result, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        except Exception as exc:
            stack = _user_traceback(exc)
            sys.stderr.write(stack)
            error = {"errorType": type(exc).__name__, "errorMessage": _user_paths(str(exc)), "stackTrace": stack}
            _end_output(context["request_id"])
            _post("/runtime/invocation/error", json.dumps(error).encode("utf-8"), "application/json")
            continue
        _end_output(context["request_id"])
        _post("/runtime/invocation/response", payload, "application/json")


if __name__ == "__main__":
    main()

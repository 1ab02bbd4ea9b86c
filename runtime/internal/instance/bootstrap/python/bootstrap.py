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

# The runtime API is on loopback, so a few lines of HTTP/1.0 over a socket do:
# urllib.request would import ssl and email and add ~100 ms to every cold start.
# HTTP/1.0 means no chunked encoding and no keep-alive: the body runs to EOF.
_ADDR = None
# The end-of-invocation marker prefix (see the runtime's output_marker.go).
_MARK = b""


def _request(method, path, body=b"", content_type="text/plain"):
    """Returns (headers with lower-case names, body bytes)."""
    conn = socket.create_connection(_ADDR)
    try:
        head = "%s %s HTTP/1.0\r\nHost: runtime\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n" % (
            method, path, content_type, len(body))
        conn.sendall(head.encode("ascii") + body)
        chunks = []
        while True:
            data = conn.recv(65536)
            if not data:
                break
            chunks.append(data)
    finally:
        conn.close()
    raw = b"".join(chunks)
    head, _, payload = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = lines[0].split(" ", 2)
    if len(status) < 2 or not status[1].startswith("2"):
        raise RuntimeError("runtime API %s %s answered %r" % (method, path, lines[0]))
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
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

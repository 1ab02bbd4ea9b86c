"""SCF emulator bootstrap for Python event functions.

Runs inside the function's code directory (the working directory), imports
the handler named by _HANDLER ("index.main_handler", "src/app.handler") and
serves invocations through the SCF Custom Runtime API at
$SCF_RUNTIME_API:$SCF_RUNTIME_API_PORT. Standard library only.
"""

import importlib
import json
import os
import sys
import traceback
import urllib.request

# Our own calls go straight to the emulator whatever proxy the user configures.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _post(url, body, content_type):
    req = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": content_type})
    with _OPENER.open(req) as resp:
        resp.read()


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


def _user_traceback(exc):
    """Formats exc without the frames of this bootstrap and of importlib:
    the user wants to see their own code."""
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
    return "".join(lines)


def main():
    api = "http://%s:%s" % (os.environ["SCF_RUNTIME_API"], os.environ["SCF_RUNTIME_API_PORT"])
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

    _post(api + "/runtime/init/ready", b" ", "text/plain")
    while True:
        with _OPENER.open(api + "/runtime/invocation/next") as resp:
            headers = resp.headers
            body = resp.read()
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
            error = {"errorType": type(exc).__name__, "errorMessage": str(exc), "stackTrace": stack}
            _post(api + "/runtime/invocation/error", json.dumps(error).encode("utf-8"), "application/json")
            continue
        _post(api + "/runtime/invocation/response", payload, "application/json")


if __name__ == "__main__":
    main()

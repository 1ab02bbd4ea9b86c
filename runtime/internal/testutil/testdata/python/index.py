import os
import sys
import time

ENV_KEYS = [
    "SCF_FUNCTIONNAME", "SCF_FUNCTIONVERSION", "SCF_NAMESPACE", "SCF_RUNTIME", "TENCENTCLOUD_RUNENV",
    "USER_CODE_ROOT", "_HANDLER", "GREETING", "PYTHONDONTWRITEBYTECODE", "_SCF_CONTEXT_ENVIRONMENT",
]


def main_handler(event, context):
    print("python handler got", event.get("name"))
    mode = event.get("mode")
    if mode == "raise":
        raise ValueError("boom " + str(event.get("name")))
    if mode == "exit":
        sys.stdout.write("exiting now\n")
        os._exit(3)
    if mode == "sleep":
        time.sleep(event.get("seconds", 5))
    if mode == "flood":
        line = "x" * 1023 + "\n"
        for _ in range(event["lines"]):
            sys.stdout.write(line)
    return {
        "version": context["function_version"],
        "event": event,
        "env": {k: os.environ.get(k) for k in ENV_KEYS},
        "context": context,
        "cwd": os.getcwd(),
    }

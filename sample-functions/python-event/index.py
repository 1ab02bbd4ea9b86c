# -*- coding: utf-8 -*-
"""Event function B of the grayscale demo (API Gateway trigger, integration response on).

It answers with the version that ran, so weighted and rule routing are visible
from outside. scripts/demo-grayscale.sh rewrites the MESSAGE line below to
publish versions with different code: keep it on one line.

Query parameters: fail=1 raises an exception (error path), sleep=<seconds>
sleeps first (timeout demos).
"""
import json
import os
import time

MESSAGE = "hello from B"


def _query(event, name):
    """Returns one query parameter as a string, or None.

    API Gateway sends a single value as a string, repeated keys as a list and
    a key without a value as true.
    """
    qs = event.get("queryString") or event.get("queryStringParameters") or {}
    value = qs.get(name)
    if isinstance(value, list):
        value = value[-1] if value else None
    if value is True:
        return ""
    return None if value is None else str(value)


def _header(event, name):
    headers = event.get("headers") or {}
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def main_handler(event, context):
    event = event if isinstance(event, dict) else {}
    context = context if isinstance(context, dict) else {}

    sleep = _query(event, "sleep")
    if sleep:
        time.sleep(float(sleep))
    if _query(event, "fail") == "1":
        raise RuntimeError("failing on purpose: the request asked for fail=1")

    body = {
        "function": os.environ.get("SCF_FUNCTIONNAME", context.get("function_name")),
        "version": context.get("function_version", os.environ.get("SCF_FUNCTIONVERSION")),
        "runtime": "python",
        "message": MESSAGE,
        "path": event.get("path"),
        "user": _header(event, "user"),
    }
    # The platform serialises the return value itself: return a dict, not a string.
    return {
        "isBase64Encoded": False,
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body),
    }

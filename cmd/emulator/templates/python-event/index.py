# -*- coding: utf-8 -*-
"""An SCF event function, written by `emulator init`.

main_handler gets the event (here an API Gateway request) and returns an
API Gateway integration response. Save this file while `emulator up` runs:
$LATEST reloads at once. `emulator publish hello` freezes it as version 1.
"""
import json
import os


def main_handler(event, context):
    event = event if isinstance(event, dict) else {}
    body = {
        "message": "hello from Python",
        "function": os.environ.get("SCF_FUNCTIONNAME"),
        "version": os.environ.get("SCF_FUNCTIONVERSION"),
        "path": event.get("path"),
    }
    print("handled", event.get("path"))  # shows in `emulator logs hello`
    return {
        "isBase64Encoded": False,
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body),
    }

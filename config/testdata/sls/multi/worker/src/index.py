import json


def main_handler(event, context):
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"worker": event["pathParameters"]["id"]})}

import json


def main_handler(event, context):
    if event.get("path") == "/integrated":
        return {"isBase64Encoded": False, "statusCode": 201,
                "headers": {"Content-Type": "application/json"},
                "body": json.dumps({"integrated": True})}
    return {"message": "hello from scfdemo", "path": event.get("path")}

def handler(event, context):
    return {"nested": True, "request_id": context["request_id"]}

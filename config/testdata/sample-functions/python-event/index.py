def main_handler(event, context):
    return {"hello": "world"}

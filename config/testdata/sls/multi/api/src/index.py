def main_handler(event, context):
    return "items for " + event.get("path", "")

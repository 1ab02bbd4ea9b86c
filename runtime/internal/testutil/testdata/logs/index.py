import sys


def main_handler(event, context):
    # Lines right before the return: the log must hold them, and only them.
    tag = event.get("tag", "")
    print("out line " + tag)
    sys.stderr.write("err line " + tag + "\n")
    if event.get("partial"):
        sys.stdout.write("no newline " + tag)
    return tag

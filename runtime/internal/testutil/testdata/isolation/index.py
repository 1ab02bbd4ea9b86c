import os
import subprocess


def spawn(event, context):
    """Starts a child in a new session, as a detached worker would."""
    p = subprocess.Popen(["sleep", "300"], start_new_session=True)
    return {"pid": p.pid}


def spawn_orphan(event, context):
    """Starts a grandchild in a new session whose parent exits at once, so
    it is nobody's child but init's (or the subreaper's)."""
    r, w = os.pipe()
    if os.fork() == 0:
        os.setsid()
        pid = subprocess.Popen(["sleep", "300"], start_new_session=True).pid
        os.write(w, str(pid).encode())
        os._exit(0)
    os.close(w)
    pid = int(os.read(r, 32))
    os.wait()
    return {"pid": pid}


HELD = []


def hog(event, context):
    """Holds event['mb'] megabytes, touched so they are resident, until the
    next call: the memory is still in use when the invocation ends."""
    HELD.clear()
    block = bytearray(event["mb"] << 20)
    for i in range(0, len(block), 4096):
        block[i] = 1
    HELD.append(block)
    return {"held": len(block) >> 20}

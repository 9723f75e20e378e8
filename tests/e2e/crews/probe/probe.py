"""Test crew: does what inputs["action"] says and reports what it saw."""
import os
import socket
import time

from version import VERSION


def kickoff(inputs: dict):
    action = inputs.get("action", "echo")
    print(f"probe {VERSION} action={action}", flush=True)
    if action == "echo":
        tag = inputs.get("tag", "")
        os.makedirs("/app/artifacts/nested", exist_ok=True)
        with open("/app/artifacts/tag.txt", "w") as f:
            f.write(tag)
        with open("/app/artifacts/nested/deep.json", "w") as f:
            f.write('{"tag": "%s"}' % tag)
        time.sleep(float(inputs.get("sleep", 0)))
        return {"version": VERSION, "tag": tag, "artifacts": sorted(os.listdir("/app/artifacts"))}
    if action == "env":
        return {"version": VERSION, "value": os.environ.get(inputs["name"]), "names": sorted(os.environ)}
    if action == "print_env":
        print(f"the secret is {os.environ.get(inputs['name'])}", flush=True)
        raise RuntimeError(f"failing with {os.environ.get(inputs['name'])}")
    if action == "read":
        with open(inputs["path"], "rb") as f:
            return {"read": len(f.read())}
    if action == "list":
        return {"entries": sorted(os.listdir(inputs["path"]))}
    if action == "connect":
        s = socket.create_connection((inputs.get("host", "127.0.0.1"), int(inputs["port"])), timeout=3)
        s.close()
        return {"connected": True}
    if action == "forkbomb":
        children = []
        while True:
            pid = os.fork()
            if pid == 0:
                time.sleep(30)
                os._exit(0)
            children.append(pid)
    if action == "memory":
        hog = []
        while True:
            hog.append(bytearray(64 * 1024 * 1024))
    if action == "sleep":
        time.sleep(float(inputs.get("seconds", 30)))
        return {"slept": inputs.get("seconds", 30)}
    if action == "version":
        return {"version": VERSION}
    raise ValueError(f"unknown action {action!r}")

"""Test crew: does what inputs["action"] says and reports what it saw."""
import hashlib
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
    if action == "write":
        # Takes `steps` × `step_seconds`, printing a line per step (so a follower sees events arrive over
        # time) and writing one file per step whose content artifact_content() makes from the tag alone,
        # so a reader can tell what each artifact must hash to (reliability/crash.py).
        tag, size = inputs.get("tag", ""), int(inputs.get("size", 4096))
        steps = int(inputs.get("steps", 3))
        os.makedirs("/app/artifacts/parts", exist_ok=True)
        for i in range(steps):
            print(f"write {tag} step {i + 1}/{steps}", flush=True)
            with open(f"/app/artifacts/parts/{i}.bin", "wb") as f:
                f.write(artifact_content(tag, i, size))
            time.sleep(float(inputs.get("step_seconds", 0.1)))
        return {"version": VERSION, "tag": tag, "files": steps}
    if action == "env_digest":
        # The sha256 of each named variable's value (None when unset): lets a caller compare what a run
        # saw without the values themselves ever appearing in the run's output (reliability/races.py).
        return {"version": VERSION, "digests": {name: None if os.environ.get(name) is None
                                                else hashlib.sha256(os.environ[name].encode()).hexdigest()
                                                for name in inputs["names"]}}
    raise ValueError(f"unknown action {action!r}")


def artifact_content(tag: str, index: int, size: int) -> bytes:
    """Bytes that depend only on (tag, index, size): the sha256 of "tag:index", repeated to size bytes."""
    block = hashlib.sha256(f"{tag}:{index}".encode()).hexdigest().encode()
    return (block * (size // len(block) + 1))[:size]

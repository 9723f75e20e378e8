import json
import os
import pathlib
import threading

_lock = threading.Lock()
_fd = None


def _write(message):
    data = (json.dumps(message) + "\n").encode()
    with _lock:
        os.write(_fd, data)


def emit(type_, data):
    _write({"v": 1, "kind": "event", "type": type_, "data": data})


def artifacts_dir():
    return pathlib.Path(os.environ.get("CREWSHIP_ARTIFACTS_DIR", "/app/artifacts"))

import importlib
import json
import os
import sys
import threading
import traceback

from crewship_runtime import sdk

sdk._fd = os.dup(1)
read_end, write_end = os.pipe()
os.dup2(write_end, 1)
os.dup2(write_end, 2)
os.close(write_end)


def pump():
    with os.fdopen(read_end, errors="replace") as lines:
        for line in lines:
            sdk.emit("log", {"message": line.rstrip("\n"), "stream": "stdout"})


pumping = threading.Thread(target=pump, daemon=True)
pumping.start()


def drain_output():
    """Every line the crew printed is an event before the result: close the pipe and let the pump finish."""
    sys.stdout.flush()
    sys.stderr.flush()
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    pumping.join(5)


spec = json.loads(sys.stdin.read())
app = os.environ.get("CREWSHIP_APP_DIR", "/app")
sys.path.insert(0, app)
try:
    module_name, attribute = spec["entrypoint"].split(":")
    function = getattr(importlib.import_module(module_name), attribute)
    output = function(spec["input"])
    drain_output()
    sdk._write({"v": 1, "kind": "result", "output": output, "values": spec.get("values")})
    code = 0
except BaseException as e:
    drain_output()
    sdk._write({"v": 1, "kind": "error", "error": {"type": type(e).__name__, "message": str(e), "traceback": traceback.format_exc()}})
    code = 1
os._exit(code)

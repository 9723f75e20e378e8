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


threading.Thread(target=pump, daemon=True).start()
spec = json.loads(sys.stdin.read())
app = os.environ.get("CREWSHIP_APP_DIR", "/app")
sys.path.insert(0, app)
try:
    module_name, attribute = spec["entrypoint"].split(":")
    function = getattr(importlib.import_module(module_name), attribute)
    output = function(spec["input"])
    sdk._write({"v": 1, "kind": "result", "output": output, "values": spec.get("values")})
    code = 0
except BaseException as e:
    sdk._write({"v": 1, "kind": "error", "error": {"type": type(e).__name__, "message": str(e), "traceback": traceback.format_exc()}})
    code = 1
sys.stdout.flush()
os._exit(code)

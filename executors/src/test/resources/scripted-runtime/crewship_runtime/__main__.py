import json
import os
import signal
import sys
import time

spec = json.loads(sys.stdin.read())
script = spec["input"]
for line in script.get("stderr", []):
    os.write(2, (line + "\n").encode())
for line in script.get("stdout", []):
    os.write(1, (line + "\n").encode())
if script.get("big_line_bytes"):
    os.write(1, b"x" * script["big_line_bytes"] + b"\n")
time.sleep(script.get("sleep", 0))
if script.get("signal"):
    os.kill(os.getpid(), script["signal"])
sys.exit(script.get("exit", 0))

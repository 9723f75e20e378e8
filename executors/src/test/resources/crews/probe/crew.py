"""Test crew for the executor tests: does what inputs["action"] says and reports what it saw."""
import os
import socket
import subprocess
import sys
import time

from crewship_runtime import sdk


def kickoff(inputs: dict):
    action = inputs.get("action", "echo")
    if action == "echo":
        print(f"starting {inputs.get('tag')}", flush=True)
        sdk.emit("agent.started", {"agent": "Researcher", "task": "Research topic"})
        sdk.emit("tool.called", {"tool": "search", "n": 1})
        with open(os.path.join(sdk.artifacts_dir(), "report.md"), "w") as f:
            f.write("report for " + str(inputs.get("tag")))
        # After the report: tests wait for this event, then look for the file.
        sdk.emit("agent.completed", {"agent": "Researcher"})
        time.sleep(float(inputs.get("sleep", 0)))
        return {"tag": inputs.get("tag"), "artifacts": sorted(os.listdir(sdk.artifacts_dir())), "cwd": os.getcwd()}
    if action == "env":
        return {"env": dict(os.environ), "uid": os.getuid()}
    if action == "read":
        with open(inputs["path"], "rb") as f:
            return {"read": len(f.read())}
    if action == "list":
        return {"entries": sorted(os.listdir(inputs["path"]))}
    if action == "scribble":
        # Leaves a file in each of the run's writable folders for later runs to (not) find.
        for folder in ("/tmp", "/dev/shm"):
            with open(os.path.join(folder, "scribble-" + str(inputs.get("tag"))), "w") as f:
                f.write("left by " + str(inputs.get("tag")))
        return {"tmp": sorted(os.listdir("/tmp")), "shm": sorted(os.listdir("/dev/shm"))}
    if action == "connect":
        s = socket.create_connection(("127.0.0.1", int(inputs["port"])), timeout=3)
        s.close()
        return {"connected": True}
    if action == "forkbomb":
        while True:
            if os.fork() == 0:
                time.sleep(60)
                os._exit(0)
    if action == "memory":
        hog = []
        while True:
            hog.append(bytearray(32 * 1024 * 1024))
    if action == "tree":
        # A child and a grandchild that outlive nothing: the executor must end them all.
        subprocess.Popen([sys.executable, "-c", "import subprocess, sys, time; "
                          "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)']); time.sleep(300)"])
        time.sleep(0.5)
        sdk.emit("tree.ready", {})
        time.sleep(300)
    if action == "sleep":
        time.sleep(float(inputs["seconds"]))
        return {"slept": inputs["seconds"]}
    if action == "raise":
        raise ValueError(inputs.get("message", "bad input"))
    if action == "values":
        return {"input": inputs, "values_seen": True}
    raise ValueError(f"unknown action {action!r}")

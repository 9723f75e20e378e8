"""Runs crewship_runtime as the executor does: a real subprocess, the run spec on stdin, the
protocol read from stdout. Every run is checked against the protocol's framing before a test
looks at it, so any corrupted line fails the test that caused it."""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

RUNTIME_DIR = Path(__file__).resolve().parents[1]
REPO_ROOT = RUNTIME_DIR.parents[1]
# The interpreter the runtime runs on; CREWSHIP_TEST_PYTHON tries another (e.g. /usr/bin/python3.11).
PYTHON = os.environ.get("CREWSHIP_TEST_PYTHON", sys.executable)
RUN_TIMEOUT_SECONDS = 60

sys.path.insert(0, str(RUNTIME_DIR))


class Outcome:
    """One finished run: its protocol messages (checked), exit code, raw stdout and stderr."""

    def __init__(self, stdout, stderr, exit_code):
        self.raw = stdout
        self.stderr = stderr.decode("utf-8", "replace")
        self.exit_code = exit_code
        assert stdout.endswith(b"\n"), f"protocol output does not end with a newline: {stdout[-200:]!r} stderr={self.stderr!r}"
        self.messages = [_checked(line) for line in stdout.split(b"\n")[:-1]]
        kinds = [m["kind"] for m in self.messages]
        assert kinds and kinds[-1] in ("result", "error"), f"no final message: {kinds[-5:]} stderr={self.stderr!r}"
        assert kinds.count("result") + kinds.count("error") == 1, "exactly one result or error, and it is last"
        assert exit_code == (0 if kinds[-1] == "result" else 1), (exit_code, self.messages[-1])

    @property
    def final(self):
        return self.messages[-1]

    @property
    def result(self):
        assert self.final["kind"] == "result", self.final
        return self.final["output"]

    @property
    def error(self):
        assert self.final["kind"] == "error", self.final
        return self.final["error"]

    @property
    def events(self):
        """[(type, data)] in order, logs included."""
        return [(m["type"], m["data"]) for m in self.messages if m["kind"] == "event"]

    def logs(self, stream=None):
        return [d["message"] for t, d in self.events if t == "log" and stream in (None, d["stream"])]

    def custom_events(self):
        return [(t, d) for t, d in self.events if t != "log"]


def _checked(line):
    message = json.loads(line.decode("utf-8"))
    assert isinstance(message, dict) and message.get("v") == 1, line
    kind = message.get("kind")
    if kind == "event":
        assert isinstance(message["type"], str) and isinstance(message["data"], dict), line
        if message["type"] == "log":
            assert set(message["data"]) == {"message", "stream"} and message["data"]["stream"] in ("stdout", "stderr")
    elif kind == "result":
        assert set(message) == {"v", "kind", "output", "values"}, line
        assert message["values"] is None or isinstance(message["values"], dict)
    elif kind == "error":
        assert set(message) == {"v", "kind", "error"}, line
        assert {k: type(v) for k, v in message["error"].items()} == {"type": str, "message": str, "traceback": str}
    else:
        raise AssertionError(f"unknown kind in {line!r}")
    return message


def spec(entrypoint="crew:kickoff", input=None, values=None):
    return {"v": 1, "run_id": "run_test", "deployment_id": "dep_test", "entrypoint": entrypoint,
            "input": {} if input is None else input, "values": values}


class Runtime:
    """An app folder (``write`` files into it) and an artifacts folder, and ``run`` to start the runtime on them."""

    def __init__(self, tmp_path, app=None, python=None):
        self.app = Path(app) if app else tmp_path / "app"
        self.python = python or PYTHON
        self.artifacts = tmp_path / "run" / "artifacts"
        self.app.mkdir(parents=True, exist_ok=True)

    def write(self, name, source):
        path = self.app / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
        return path

    def env(self, **extra):
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "HOME": str(self.app.parent),
            "PYTHONPATH": str(RUNTIME_DIR),
            "PYTHONDONTWRITEBYTECODE": "1",
            "CREWSHIP_APP_DIR": str(self.app),
            "CREWSHIP_ARTIFACTS_DIR": str(self.artifacts),
        }
        env.update(extra)
        return env

    def run(self, entrypoint="crew:kickoff", input=None, values=None, *, stdin=None, env=None, python_args=()):
        data = stdin if stdin is not None else json.dumps(spec(entrypoint, input, values)).encode()
        if isinstance(data, str):
            data = data.encode("utf-8")
        process = subprocess.run([self.python, *python_args, "-m", "crewship_runtime"], input=data, capture_output=True,
                                 cwd=self.app, env=self.env(**(env or {})), timeout=RUN_TIMEOUT_SECONDS)
        return Outcome(process.stdout, process.stderr, process.returncode)


@pytest.fixture
def runtime(tmp_path):
    return Runtime(tmp_path)

"""Drives the real `bin/crewship server` on a loopback port with a fresh data dir, over HTTP
(urllib and the real `curl`) the way the seed documents show. Used by the end-to-end tests and bench/."""
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import tarfile
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLI = os.path.join(ROOT, "bin", "crewship")
CREWS = os.path.join(os.path.dirname(__file__), "crews")
TERMINAL = ("succeeded", "failed", "canceled")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, data_dir=None, port=None, extra=(), env=None):
        self.data = data_dir or tempfile.mkdtemp(prefix="cs-e2e-")
        self.env = dict(env or {})  # added to this process's environment for the server
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.extra = list(extra)
        self.proc = None
        self.key = None

    def start(self, timeout=180):
        log = open(os.path.join(self.data, "server.log"), "ab")
        self.proc = subprocess.Popen([CLI, "server", "--port", str(self.port), "--data-dir", self.data, *self.extra],
                                     stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                     env={**os.environ, **self.env})
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited {self.proc.returncode}: {self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=1) as r:
                    if r.status == 200:
                        self.key = open(os.path.join(self.data, "admin-key")).read().strip()
                        return self
            except (OSError, urllib.error.URLError):
                time.sleep(0.2)
        raise RuntimeError("server not ready in time: " + self.log_tail())

    def log_tail(self, n=2000):
        try:
            return open(os.path.join(self.data, "server.log"), errors="replace").read()[-n:]
        except OSError:
            return ""

    def kill9(self):
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    # ---- HTTP ----
    def request(self, method, path, body=None, key=None, headers=None, raw=None, timeout=60):
        h = {"Authorization": f"Bearer {key or self.key}"}
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.read(), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read(), dict(e.headers)

    def json(self, method, path, body=None, **kw):
        code, raw, headers = self.request(method, path, body, **kw)
        return code, (json.loads(raw) if raw else None)

    def curl(self, *args, check=True):
        """Runs the real curl with the given arguments (as a user would type them)."""
        p = subprocess.run(["curl", "-sS", *args], capture_output=True, text=True, timeout=120)
        if check and p.returncode != 0:
            raise AssertionError(f"curl failed: {p.stderr}")
        return p.stdout

    # ---- domain helpers ----
    def create_project(self, name):
        code, body = self.json("POST", "/v1/projects", {"name": name})
        assert code in (201, 409), (code, body)

    def upload(self, project, folder, key=None):
        return self.request("POST", f"/v1/projects/{project}/deployments", raw=tar_gz(folder), key=key,
                            headers={"Content-Type": "application/gzip"})

    def deploy(self, project, folder, timeout=300):
        self.create_project(project)
        code, raw, _ = self.upload(project, folder)
        assert code == 202, (code, raw)
        dep = json.loads(raw)["id"]
        return self.wait_deployment(dep, timeout)

    def wait_deployment(self, dep, timeout=300):
        deadline = time.time() + timeout
        while time.time() < deadline:
            code, d = self.json("GET", f"/v1/deployments/{dep}")
            if d["status"] in ("ready", "failed"):
                return d
            time.sleep(0.2)
        raise AssertionError(f"deployment {dep} still building")

    def start_run(self, body, key=None, headers=None):
        code, run = self.json("POST", "/v1/runs", body, key=key, headers=headers)
        assert code == 202, (code, run)
        return run

    def wait_run(self, run_id, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            code, run = self.json("GET", f"/v1/runs/{run_id}")
            if run["status"] in TERMINAL:
                return run
            time.sleep(0.1)
        raise AssertionError(f"run {run_id} not terminal after {timeout}s")

    def run(self, dep, input, timeout=120):
        return self.wait_run(self.start_run({"deployment_id": dep, "input": input})["id"], timeout)


def tar_gz(folder):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name in sorted(os.listdir(folder)):
            if name in ("__pycache__", ".venv", "artifacts"):
                continue
            tar.add(os.path.join(folder, name), arcname=name,
                    filter=lambda ti: None if "__pycache__" in ti.name else ti)
    return buf.getvalue()


def crew_copy(name, tmp_path):
    dst = tmp_path / name
    shutil.copytree(os.path.join(CREWS, name) if os.path.isdir(os.path.join(CREWS, name))
                    else os.path.join(ROOT, "examples", name), dst)
    return str(dst)


def sse_events(text):
    """Parses an SSE body into [(id, event, data)]."""
    events, eid, ev, data = [], None, None, []
    for line in text.splitlines():
        if line == "":
            if ev or data:
                events.append((eid, ev or "message", json.loads("\n".join(data)) if data else None))
            eid, ev, data = None, None, []
        elif line.startswith(":"):
            continue
        elif line.startswith("id:"):
            eid = line[3:].strip()
        elif line.startswith("event:"):
            ev = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip())
    if ev or data:
        events.append((eid, ev or "message", json.loads("\n".join(data)) if data else None))
    return events



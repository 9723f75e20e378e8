"""Drives the real `bin/crewship server` on a loopback port with a fresh data dir, over HTTP
(urllib and the real `curl`) the way the seed documents show. Used by the end-to-end tests and bench/."""
import http.client
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tarfile
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLI = os.path.join(ROOT, "bin", "crewship")
CREWS = os.path.join(os.path.dirname(__file__), "crews")
TERMINAL = ("succeeded", "failed", "canceled")
TERMINAL_EVENTS = ("run.completed", "run.failed", "run.canceled")


def free_port():
    """A loopback port nothing listens on right now: for a URL that must be refused (nothing may take it
    meanwhile, it is never listened on). A server is not started on one: another process can take the
    port between this choice and the server's bind (Server lets the server choose its own)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# What `crewship server` prints once it listens, with the port it bound (the chosen one for --port 0).
LISTENING = re.compile(rb"^Crewship listening on http://127\.0\.0\.1:(\d+)\n", re.MULTILINE)


def listening_port(log_path, offset=0):
    """The port a server started with --port 0 bound, from its log after offset; None until it says."""
    try:
        with open(log_path, "rb") as f:
            f.seek(offset)
            found = LISTENING.search(f.read())
    except FileNotFoundError:
        return None
    return int(found.group(1)) if found else None


class Server:
    def __init__(self, data_dir=None, port=None, extra=(), env=None):
        self.data = data_dir or tempfile.mkdtemp(prefix="cs-e2e-")
        self.env = dict(env or {})  # added to this process's environment for the server
        # Without a port, the first start lets the server bind a free one itself (--port 0) and reads which
        # from its log: a port chosen here first could be taken by another process before the server binds
        # it. Later starts (a restart after kill -9) use the same port again, as clients expect.
        self.port = port
        self.url = None if port is None else f"http://127.0.0.1:{port}"
        self.extra = list(extra)
        self.proc = None
        self.key = None

    def start(self, timeout=180, poll_every=None):
        """Starts the server and waits for its /health; `poll_every` (seconds) polls faster than the
        default 50 ms for the port and 200 ms for /health, for a benchmark that times the start."""
        log_path = os.path.join(self.data, "server.log")
        offset = os.path.getsize(log_path) if os.path.exists(log_path) else 0
        with open(log_path, "ab") as log:
            self.proc = subprocess.Popen([CLI, "server", "--port", str(self.port or 0), "--data-dir", self.data, *self.extra],
                                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                         env={**os.environ, **self.env})
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited {self.proc.returncode}: {self.log_tail()}")
            if self.port is None:
                port = listening_port(log_path, offset)
                if port is None:
                    time.sleep(poll_every or 0.05)
                    continue
                self.port, self.url = port, f"http://127.0.0.1:{port}"
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=1) as r:
                    if r.status == 200:
                        self.key = open(os.path.join(self.data, "admin-key")).read().strip()
                        return self
            except (OSError, urllib.error.URLError):
                time.sleep(poll_every or 0.2)
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

    def events(self, run_id):
        """Every stored event of a run, in order (the JSON listing, page by page)."""
        events, after = [], 0
        while True:
            code, page = self.json("GET", f"/v1/runs/{run_id}/events?after={after}", headers={"Accept": "application/json"})
            assert code == 200, (code, page)
            events += page["data"]
            if not page["has_more"] or not page["data"]:
                return events
            after = page["data"][-1]["seq"]

    def create_thread(self, dep, values=None):
        body = {"deployment_id": dep}
        if values is not None:
            body["values"] = values
        code, thread = self.json("POST", "/v1/threads", body)
        assert code == 201, thread
        return thread["id"]

    def start_thread_run(self, thread_id, input, **extra):
        code, run = self.json("POST", f"/v1/threads/{thread_id}/runs", {"input": input, **extra})
        assert code == 202, run
        return run["id"]

    def wait_status(self, run_id, status, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.json("GET", f"/v1/runs/{run_id}")[1]["status"] == status:
                return
            time.sleep(0.05)
        raise AssertionError(f"run {run_id} never became {status}")


class EventFollower(threading.Thread):
    """Follows one run's SSE stream on a thread of its own and keeps every event it received, as
    (seq, type, data), until the stream ends or the connection breaks (a killed server)."""

    def __init__(self, server, run_id):
        super().__init__(daemon=True)
        self.server, self.run_id = server, run_id
        self.received = []
        self.complete = False  # the stream ended after the terminal event (not cut off by a dying server)
        self.error = None

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=120)
        try:
            conn.request("GET", f"/v1/runs/{self.run_id}/events",
                         headers={"Authorization": f"Bearer {self.server.key}", "Accept": "text/event-stream"})
            response = conn.getresponse()
            if response.status != 200:
                self.error = f"HTTP {response.status}"
                return
            seq, kind, data = None, None, []
            while True:
                line = response.readline()
                if not line:  # also what a killed server's closed connection looks like
                    self.complete = bool(self.received) and self.received[-1][1] in TERMINAL_EVENTS
                    return
                line = line.decode().rstrip("\n")
                if line == "":
                    if kind is not None:
                        self.received.append((int(seq), kind, json.loads("\n".join(data))))
                    seq, kind, data = None, None, []
                elif line.startswith("id:"):
                    seq = line[3:].strip()
                elif line.startswith("event:"):
                    kind = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].lstrip())
        except (OSError, http.client.HTTPException, ValueError) as e:
            self.error = f"{type(e).__name__}: {e}"
        finally:
            conn.close()


def processes_mentioning(text):
    """Pids of processes whose command line contains text (e.g. a server's data dir: its sandboxes)."""
    p = subprocess.run(["pgrep", "-f", text], capture_output=True, text=True)
    return [int(pid) for pid in p.stdout.split()]


def _stat(pid):
    """(parent pid, start time in clock ticks) of a live process, or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[1]), int(fields[19])
    except (OSError, IndexError, ValueError):
        return None


def process_tree(root_pid):
    """Every descendant of root_pid (and itself) as {pid: start time}: start times tell a process that
    is still alive from a later one that got the same pid."""
    stats = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            stat = _stat(int(name))
            if stat:
                stats[int(name)] = stat
    tree, frontier = {}, [root_pid]
    while frontier:
        pid = frontier.pop()
        if pid in stats and pid not in tree:
            tree[pid] = stats[pid][1]
            frontier += [child for child, (parent, _) in stats.items() if parent == pid]
    return tree


def still_alive(tree):
    """The processes of a process_tree() snapshot that still exist (same pid, same start time; zombies count)."""
    return sorted(pid for pid, started in tree.items() if (_stat(pid) or (None, None))[1] == started)


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




# ---- deployment bundles, well-formed and malicious (tests/e2e/test_bad_input.py, reliability/bad_input.py) ----
PROBE_TOML = b'[deployment]\nframework = "crewai"\nentrypoint = "probe:kickoff"\npython = "3.11"\n'


def file_entry(name, data, mode=0o644):
    info = tarfile.TarInfo(name)
    info.mode = mode
    return info, data


def special_entry(name, kind, target=""):
    """A link, device or FIFO entry (tarfile.SYMTYPE, LNKTYPE, CHRTYPE, BLKTYPE, FIFOTYPE)."""
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info, None


def folder_entry(name):
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = 0o755
    return info, None


class Zeros(io.RawIOBase):
    """`size` zero bytes, streamed: an archive bomb's content without holding it in memory."""

    def __init__(self, size):
        self.left = size

    def readable(self):
        return True

    def readinto(self, b):
        n = min(len(b), self.left, 1024 * 1024)
        b[:n] = bytes(n)
        self.left -= n
        return n


def zeros_entry(name, size):
    info = tarfile.TarInfo(name)
    info.mode = 0o644
    info.size = size
    return info, io.BufferedReader(Zeros(size))


def probe_entries():
    """The smallest valid crew: a crewship.toml and the module its entrypoint names."""
    return [file_entry("crewship.toml", PROBE_TOML), file_entry("probe.py", b"def kickoff(inputs):\n    return inputs\n")]


def tar_gz_of(entries, compresslevel=9, format=tarfile.PAX_FORMAT):
    """A tar.gz of [(TarInfo, bytes | a readable file with info.size set | None)], in order, as given
    (duplicates, odd names and all)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", compresslevel=compresslevel, format=format,
                      encoding="utf-8", errors="surrogateescape") as tar:
        for info, data in entries:
            if isinstance(data, bytes):
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info, data)
    return buf.getvalue()


def with_probe(*extra):
    return lambda: tar_gz_of(probe_entries() + list(extra))


def many_files(n):
    return lambda: tar_gz_of(probe_entries() + [file_entry(f"many/f{i}.txt", b"") for i in range(n)])


def deep_path(depth):
    return "/".join(["d"] * depth) + "/x.py"


def pax_named(name, data=b"x"):
    """A file whose name is written only in a PAX header (where a NUL or any byte can be stored)."""
    info, data = file_entry("placeholder.py", data)
    info.pax_headers = {"path": name}
    return info, data


def corrupt_crc():
    """A valid tar.gz whose gzip trailer (CRC-32) is wrong: every byte inflates, the check fails at the end."""
    data = bytearray(tar_gz_of(probe_entries()))
    data[-8] ^= 0xFF
    return bytes(data)


def gzip_of(raw):
    import gzip
    return gzip.compress(raw)


# Each is refused with 4xx problem+json and changes nothing (docs/api.md, "Deployments"). The default
# limits (100 MiB compressed, 500 MiB / 20,000 entries extracted) apply: "archive bomb" inflates to
# 600 MiB of zeros from about 0.6 MiB.
MALICIOUS_BUNDLES = {
    "parent traversal": with_probe(file_entry("../evil.py", b"x")),
    "nested traversal": with_probe(file_entry("pkg/../../evil.py", b"x")),
    "absolute path": with_probe(file_entry("/etc/evil.py", b"x")),
    "absolute path into /tmp": with_probe(file_entry("/tmp/crewship-evil.py", b"x")),
    "symlink outside": with_probe(special_entry("passwd", tarfile.SYMTYPE, "/etc/passwd")),
    "relative symlink outside": with_probe(special_entry("up", tarfile.SYMTYPE, "../../..")),
    "symlink chain outside": with_probe(special_entry("a", tarfile.SYMTYPE, "."), special_entry("b", tarfile.SYMTYPE, "a/..")),
    "file written through a symlinked folder": with_probe(special_entry("out", tarfile.SYMTYPE, "/tmp"),
                                                          file_entry("out/crewship-evil.py", b"x")),
    "hard link outside": with_probe(special_entry("hard", tarfile.LNKTYPE, "../../etc/passwd")),
    "hard link inside": with_probe(special_entry("hard", tarfile.LNKTYPE, "probe.py")),
    "character device": with_probe(special_entry("dev", tarfile.CHRTYPE)),
    "block device": with_probe(special_entry("disk", tarfile.BLKTYPE)),
    "fifo": with_probe(special_entry("pipe", tarfile.FIFOTYPE)),
    "archive bomb": lambda: tar_gz_of(probe_entries() + [zeros_entry("zeros.bin", 600 * 1024 * 1024)], compresslevel=1),
    "many tiny files": many_files(20_001),
    "deep nesting": with_probe(file_entry(deep_path(2100), b"x")),
    "very long name": with_probe(file_entry("a" * 300 + ".py", b"x")),
    "name with NUL": with_probe(pax_named("evil\0.py")),
    "name not UTF-8": with_probe(file_entry("bad\udcff\udcfe.py", b"x")),
    "duplicate file": with_probe(file_entry("probe.py", b"def kickoff(inputs):\n    return 'second'\n")),
    "file and folder of one name": with_probe(file_entry("pkg", b"x"), file_entry("pkg/mod.py", b"x")),
    "artifacts folder": with_probe(file_entry("artifacts/x.txt", b"x")),
    "not gzip": lambda: b"this is not a tarball",
    "empty body": lambda: b"",
    "gzip of not a tar": lambda: gzip_of(b"just some text, no tar headers\n" * 100),
    "truncated gzip": lambda: tar_gz_of(probe_entries() + [file_entry("data.bin", os.urandom(200_000))])[:100_000],
    "corrupt gzip checksum": corrupt_crc,
    "empty tar": lambda: tar_gz_of([]),
}

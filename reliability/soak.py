#!/usr/bin/env python3
"""Reliability item 4, soak: 30 minutes of mixed load against one server, sampling the server JVM's
resident memory, open file descriptors, threads and the processes under it.

    python3 reliability/soak.py [--quick] [--minutes M]

The load, all at once from a few client threads (bounded, loopback only):
- runs of examples/hello (by project, so they follow redeploys), each waited for and checked `succeeded`;
- now and then a thread of examples/chat: create it, two messages one after the other (the second must
  remember the first), delete it;
- SSE subscribers that come and go: follow a recent run's `/events` stream to its end, or hang up after
  a few events;
- reads: run list pages, a run, its events, its artifact list and the artifact's bytes, projects;
- a redeploy of examples/hello now and then (a new deployment, a new warm parent);
- a few bad requests (malformed JSON, unknown ids, a corrupt bundle), which must answer 4xx.

Every few seconds the sampler reads /proc/<jvm pid>/status (VmRSS, Threads), counts /proc/<pid>/fd and
the server's descendant processes (warm parents, sandboxes, runs). Any 5xx, any failed run of these
trivial crews, or any unexpected status is an error: the module then raises (after printing its figures).
The figures are measured while other work may share the machine; they describe trends, not speed."""
import argparse
import http.client
import json
import os
import pathlib
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench"))
from common import Server, Target, crew_copy, write_result  # noqa: E402

TITLE = "Soak: 30 minutes of mixed load"
MINUTES, QUICK_SECONDS = 30, 60
SAMPLE_S, QUICK_SAMPLE_S = 5, 2
HEAP_EVERY = 6                            # every 6th sample also asks the JVM for its heap (jcmd)
REDEPLOY_S, QUICK_REDEPLOY_S = 300, 30  # a new deployment of examples/hello this often
WARMUP_S = 600                            # the first 10 minutes: JIT, heap sizing, warm parents starting
# The rule for "flat" (stated in the report): after the load stops and runs settle, open fds are back
# within FD_SLACK of the baseline taken after warm-up; and RSS grows by less than RSS_SLOPE_MB_H per hour
# over the samples after warm-up (the last 20 of 30 minutes; a least-squares line through them); and no
# run process or scratch folder is left.
FD_SLACK = 10
RSS_SLOPE_MB_H = 50
THREAD_SLACK = 10


class Tally:
    """Counts operations and errors across the load threads (errors keep a few examples)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.ops = Counter()       # HTTP requests by kind
        self.outcomes = Counter()  # what they amounted to: runs ended, streams followed, builds done
        self.errors = Counter()
        self.examples = []
        self.statuses = Counter()

    def op(self, kind, status=None):
        with self.lock:
            self.ops[kind] += 1
            if status is not None:
                self.statuses[f"{status // 100}xx"] += 1

    def error(self, kind, what):
        with self.lock:
            self.errors[kind] += 1
            if len(self.examples) < 20:
                self.examples.append(f"{kind}: {str(what)[:300]}")
            print(f"soak error: {kind}: {str(what)[:300]}", file=sys.stderr, flush=True)

    def outcome(self, kind):
        """Something that is not a request of its own (a run that ended, a stream followed to its end)."""
        with self.lock:
            self.outcomes[kind] += 1

    def totals(self):
        with self.lock:
            return sum(self.ops.values()), sum(self.errors.values())


class Load:
    """The mixed load's client threads, until `stop` is set."""

    def __init__(self, srv, tally, hello_dir, quick):
        self.srv, self.tally, self.hello_dir, self.quick = srv, tally, hello_dir, quick
        self.stop = threading.Event()
        self.recent = []          # recent run ids, for the readers and SSE subscribers
        self.recent_lock = threading.Lock()
        self.rng = random.Random(7)

    # ---- helpers ----
    def call(self, kind, method, path, expect, **kw):
        try:
            code, raw, headers = self.srv.request(method, path, timeout=60, **kw)
        except Exception as e:  # noqa: BLE001 — a refused or timed-out request is an error of the soak
            self.tally.op(kind)
            self.tally.error(kind, f"{method} {path}: {e!r}")
            return None, None
        self.tally.op(kind, code)
        if code >= 500 or code not in expect:
            self.tally.error(kind, f"{method} {path} -> {code} {raw[:200]!r}")
        return code, raw

    def remember(self, run_id):
        with self.recent_lock:
            self.recent.append(run_id)
            del self.recent[:-50]

    def some_run(self):
        with self.recent_lock:
            return self.rng.choice(self.recent) if self.recent else None

    def wait_run(self, run_id, kind, timeout=180):
        deadline = time.time() + timeout
        while time.time() < deadline:
            code, raw = self.call(kind + ".poll", "GET", f"/v1/runs/{run_id}", (200,))
            if code == 200:
                run = json.loads(raw)
                if run["status"] in ("succeeded", "failed", "canceled"):
                    return run
            time.sleep(0.1)
        self.tally.error(kind, f"run {run_id} not terminal after {timeout} s")
        return None

    def loop(self, body, pause):
        while not self.stop.is_set():
            try:
                body()
            except Exception as e:  # noqa: BLE001 — counted, and the soak goes on
                self.tally.error(body.__name__, repr(e))
            self.stop.wait(pause)

    # ---- the kinds of load ----
    def hello_run(self):
        code, raw = self.call("run.create", "POST", "/v1/runs",
                              (202,), body={"project": "soak-hello", "input": {"topic": f"soak {time.time():.0f}"}})
        if code != 202:
            return
        run_id = json.loads(raw)["id"]
        self.remember(run_id)
        run = self.wait_run(run_id, "run")
        if run is not None:
            self.tally.outcome("run.terminal")
            if run["status"] != "succeeded":
                self.tally.error("run", f"{run_id} {run['status']}: {run.get('error')}")

    def thread_conversation(self):
        code, raw = self.call("thread.create", "POST", "/v1/threads", (201,), body={"project": "soak-chat"})
        if code != 201:
            return
        thread = json.loads(raw)["id"]
        for message in ("Research AI agents in healthcare", "Now focus on diagnostic applications"):
            code, raw = self.call("thread.run", "POST", f"/v1/threads/{thread}/runs", (202,),
                                  body={"input": {"message": message}})
            if code != 202:
                return
            run = self.wait_run(json.loads(raw)["id"], "thread.run")
            if run is None:
                return
            if run["status"] != "succeeded":
                self.tally.error("thread.run", f"{run['id']} {run['status']}: {run.get('error')}")
                return
        if run["output"].get("remembered_messages") != 1:
            self.tally.error("thread.run", f"{run['id']} forgot the first message: {run['output']}")
        self.call("thread.delete", "DELETE", f"/v1/threads/{thread}", (204,))

    def subscriber(self):
        """Follows a recent run's SSE stream: to its end (which must be the run's terminal event), or hangs
        up after one or two events."""
        run_id = self.some_run()
        if run_id is None:
            return
        hang_up_after = self.rng.choice((None, 1, 2))
        conn = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=60)
        try:
            conn.request("GET", f"/v1/runs/{run_id}/events",
                         headers={"Authorization": f"Bearer {self.srv.key}", "Accept": "text/event-stream"})
            resp = conn.getresponse()
        except (OSError, http.client.HTTPException) as e:
            conn.close()
            self.tally.op("sse.subscribe")
            self.tally.error("sse.subscribe", f"{run_id}: {e!r}")
            return
        self.tally.op("sse.subscribe", resp.status)
        try:
            if resp.status != 200:
                self.tally.error("sse.subscribe", f"{run_id} -> {resp.status}")
                return
            types = []
            for line in resp:
                if line.startswith(b"event:"):
                    types.append(line[6:].strip().decode())
                    if hang_up_after is not None and len(types) >= hang_up_after:
                        self.tally.outcome("sse.hung_up")
                        return
            if types and types[-1] in ("run.completed", "run.failed", "run.canceled"):
                self.tally.outcome("sse.to_end")
            else:
                self.tally.error("sse.stream", f"{run_id}: the stream ended without a terminal event: {types[-3:]}")
        except (OSError, http.client.HTTPException) as e:
            self.tally.error("sse.stream", f"{run_id}: {e!r}")
        finally:
            conn.close()

    def reader(self):
        self.call("read.list", "GET", f"/v1/runs?project=soak-hello&limit={self.rng.choice((1, 20, 100))}", (200,))
        self.call("read.projects", "GET", "/v1/projects", (200,))
        run_id = self.some_run()
        if run_id is None:
            return
        self.call("read.run", "GET", f"/v1/runs/{run_id}", (200,))
        self.call("read.events", "GET", f"/v1/runs/{run_id}/events", (200,), headers={"Accept": "application/json"})
        code, raw = self.call("read.artifacts", "GET", f"/v1/runs/{run_id}/artifacts", (200,))
        if code == 200:
            for artifact in json.loads(raw)["data"]:
                self.call("read.artifact", "GET", f"/v1/runs/{run_id}/artifacts/{artifact['name']}", (200,))

    def bad_requests(self):
        self.call("bad.json", "POST", "/v1/runs", (400,), raw=b'{"project": ', headers={"Content-Type": "application/json"})
        self.call("bad.unknown_field", "POST", "/v1/runs", (400,), body={"project": "soak-hello", "surprise": 1})
        self.call("bad.unknown_run", "GET", "/v1/runs/run_doesnotexist", (404,))
        self.call("bad.unauthorized", "GET", "/v1/runs", (401,), key="csk_not_a_key")
        self.call("bad.bundle", "POST", "/v1/projects/soak-hello/deployments", (400, 415, 422),
                  raw=b"not a tarball", headers={"Content-Type": "application/gzip"})

    def redeploy(self):
        code, raw, _ = self.srv.upload("soak-hello", self.hello_dir)
        self.tally.op("deploy.upload", code)
        if code != 202:
            self.tally.error("deploy.upload", f"-> {code} {raw[:200]!r}")
            return
        dep = self.srv.wait_deployment(json.loads(raw)["id"])
        self.tally.outcome("deploy.built")
        if dep["status"] != "ready":
            self.tally.error("deploy", f"{dep['id']} {dep['status']}: {dep.get('error')}")

    def threads(self, redeploy_s):
        spec = [(self.hello_run, 0.0), (self.hello_run, 0.0), (self.thread_conversation, 2.0),
                (self.subscriber, 0.2), (self.subscriber, 0.5), (self.reader, 0.2), (self.bad_requests, 5.0),
                (self.redeploy, redeploy_s)]
        return [threading.Thread(target=self.loop, args=(body, pause), name=body.__name__, daemon=True)
                for body, pause in spec]


# ---- what the sampler reads from /proc ----
def status_fields(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields


def descendants(pid):
    """The processes under pid (any depth): [(pid, comm)]."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        children.setdefault(ppid, []).append((int(entry), comm))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child[0])
    return found


def jvm_pid(launcher_pid):
    """The server's JVM: bin/crewship execs java, so normally the launcher's own pid."""
    for pid in [launcher_pid] + [p for p, _ in descendants(launcher_pid)]:
        try:
            if os.path.basename(os.readlink(f"/proc/{pid}/exe")) == "java":
                return pid
        except OSError:
            continue
    raise RuntimeError(f"no java process under {launcher_pid}")


def process_tree(pid):
    """The processes under pid (any depth) as {pid: (ppid, comm, cmdline)}."""
    tree = {}
    for child, comm in descendants(pid):
        try:
            with open(f"/proc/{child}/stat") as f:
                stat = f.read()
            with open(f"/proc/{child}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue  # ended meanwhile
        tree[child] = (int(stat[stat.rindex(")") + 2:].split()[1]), comm, cmdline)
    return tree


def split_warm_parents(jvm, tree):
    """(warm parents, other processes): a warm parent is the Python of `crewship_runtime.warm` with the
    sandbox it runs in (bwrap, then the shell that applies prlimit), up to the JVM. Runs are forked under
    that Python (or, cold, are sandboxes of their own), so once every run has ended nothing else should be
    left: [(pid, comm, cmdline)] of the others."""
    parents = [p for p, (_, comm, cmd) in tree.items() if "crewship_runtime.warm" in cmd and comm not in ("sh", "bwrap", "prlimit")]
    keep = set()
    for p in parents:
        while p in tree and p != jvm:
            keep.add(p)
            p = tree[p][0]
    others = [(p, comm, cmd[:200]) for p, (_, comm, cmd) in sorted(tree.items()) if p not in keep]
    return parents, others


def heap_mb(pid):
    """(committed, used) MB of the JVM's heap, from `jcmd <pid> GC.heap_info` of the JVM's own JDK: explains
    whether RSS growth is the heap being sized up or something else. None when jcmd is unavailable."""
    jcmd = os.path.join(os.path.dirname(os.readlink(f"/proc/{pid}/exe")), "jcmd")
    try:
        out = subprocess.run([jcmd, str(pid), "GC.heap_info"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    for line in out.splitlines():
        words = line.replace(",", " ").split()
        if "total" in words and "used" in words:  # " garbage-first heap   total reserved …, committed …K, used …K"
            def kb(label):
                i = words.index(label)
                return int(words[i + 1].rstrip("K")) if words[i + 1].endswith("K") else None
            committed = kb("committed") if "committed" in words else kb("total")
            used = kb("used")
            if committed is not None and used is not None:
                return round(committed / 1024, 1), round(used / 1024, 1)
    return None


def sample(pid, t0, tally, heap=False):
    """One point of the time series; with heap, also the JVM's heap committed/used (a jcmd call, so rarer)."""
    st = status_fields(pid)
    ops, errors = tally.totals()
    procs = descendants(pid)
    return {"t_s": round(time.monotonic() - t0, 1), "rss_mb": round(int(st["VmRSS"].split()[0]) / 1024, 1),
            "fds": len(os.listdir(f"/proc/{pid}/fd")), "threads": int(st["Threads"]),
            "processes": len(procs), "ops": ops, "errors": errors,
            **({"heap_committed_mb": h[0], "heap_used_mb": h[1]} if heap and (h := heap_mb(pid)) else {})}


def slope_per_hour(points):
    """Least-squares slope of [(t_s, y)] in y per hour (None with fewer than 2 points)."""
    if len(points) < 2:
        return None
    n = len(points)
    mx = sum(t for t, _ in points) / n
    my = sum(y for _, y in points) / n
    var = sum((t - mx) ** 2 for t, _ in points)
    if var == 0:
        return None
    return sum((t - mx) * (y - my) for t, y in points) / var * 3600


def window_mean(samples, key, start, end):
    values = [s[key] for s in samples if start <= s["t_s"] < end]
    return round(sum(values) / len(values), 1) if values else None


def data_dir_mb(path):
    out = subprocess.run(["du", "-sm", path], capture_output=True, text=True)
    return int(out.stdout.split()[0]) if out.returncode == 0 and out.stdout else None


def run(quick, minutes=None):
    duration = QUICK_SECONDS if quick else (minutes or MINUTES) * 60
    sample_s = QUICK_SAMPLE_S if quick else SAMPLE_S
    redeploy_s = QUICK_REDEPLOY_S if quick else REDEPLOY_S
    warmup = min(WARMUP_S, duration // 3)  # quick: the first 20 s
    window = min(300, duration // 6)       # first / last 5 minutes (quick: 10 s)
    tmp = tempfile.mkdtemp(prefix="cs-soak-")
    os.chmod(tmp, 0o711)  # the runs' uids pass through it to the data dir
    srv = Server().start()
    tally = Tally()
    try:
        pid = jvm_pid(srv.proc.pid)
        hello = crew_copy("hello", pathlib.Path(tmp))
        assert srv.deploy("soak-hello", hello)["status"] == "ready"
        assert srv.deploy("soak-chat", crew_copy("chat", pathlib.Path(tmp)))["status"] == "ready"
        for crew in ("soak-hello", "soak-chat"):  # start each warm parent before the baseline
            run = srv.wait_run(srv.start_run({"project": crew, "input": {"topic": "warm-up", "message": "Research warm-up"}})["id"])
            assert run["status"] == "succeeded", run
        data_before = data_dir_mb(srv.data)

        load = Load(srv, tally, hello, quick)
        workers = load.threads(redeploy_s)
        t0 = time.monotonic()
        samples = [sample(pid, t0, tally, heap=True)]
        for w in workers:
            w.start()
        while time.monotonic() - t0 < duration:
            time.sleep(sample_s)
            samples.append(sample(pid, t0, tally, heap=len(samples) % HEAP_EVERY == 0))
        load.stop.set()
        for w in workers:
            w.join(300)
        stuck = [w.name for w in workers if w.is_alive()]
        if stuck:
            tally.error("load", f"client threads still busy 300 s after the load stopped: {stuck}")
        load_s = time.monotonic() - t0

        # Settle: no run pending or running, then a few idle seconds for closed connections to be reaped.
        code, body = srv.json("GET", "/v1/runs?status=running&limit=1")
        code2, body2 = srv.json("GET", "/v1/runs?status=pending&limit=1")
        active = len(body["data"]) + len(body2["data"])
        if active:
            tally.error("settle", f"{active} runs still active after the load stopped")
        time.sleep(10)
        end = sample(pid, t0, tally, heap=True)
        end["phase"] = "settled"
        samples.append(end)
        leftover_scratch = sorted(os.listdir(os.path.join(srv.data, "runs"))) if os.path.isdir(os.path.join(srv.data, "runs")) else []
        procs_end = descendants(pid)
        parents_end, left_over = split_warm_parents(pid, process_tree(pid))
        data_after = data_dir_mb(srv.data)
        code, runs_page = srv.json("GET", "/v1/projects/soak-hello/usage")
        usage = runs_page if code == 200 else None

        base = samples[0]
        after_warmup = [s for s in samples if s["t_s"] >= warmup and s.get("phase") != "settled"]
        baseline = after_warmup[0] if after_warmup else base
        rss_slope = slope_per_hour([(s["t_s"], s["rss_mb"]) for s in after_warmup])
        fd_slope = slope_per_hour([(s["t_s"], s["fds"]) for s in after_warmup])
        ops, errors = tally.totals()
        result = {
            "duration_s": round(load_s, 1), "sample_every_s": sample_s, "warmup_s": warmup, "window_s": window,
            "load": "2 hello run loops, 1 chat thread loop (2 messages each), 2 SSE subscriber loops "
                    "(to the end, or hang up after 1–2 events), 1 reader loop (list, run, events, artifacts), "
                    f"bad requests every 5 s, a redeploy of hello every {redeploy_s} s",
            "samples": samples,
            "rss_mb": {"start": base["rss_mb"], "baseline": baseline["rss_mb"], "end": end["rss_mb"],
                       "max": max(s["rss_mb"] for s in samples),
                       "first_window_mean": window_mean(samples, "rss_mb", 0, window),
                       "last_window_mean": window_mean(samples, "rss_mb", load_s - window, load_s + 1),
                       "slope_after_warmup_mb_per_h": None if rss_slope is None else round(rss_slope, 1)},
            "fds": {"start": base["fds"], "baseline": baseline["fds"], "end": end["fds"],
                    "max": max(s["fds"] for s in samples),
                    "first_window_mean": window_mean(samples, "fds", 0, window),
                    "last_window_mean": window_mean(samples, "fds", load_s - window, load_s + 1),
                    "slope_after_warmup_per_h": None if fd_slope is None else round(fd_slope, 1)},
            "threads": {"start": base["threads"], "baseline": baseline["threads"], "end": end["threads"],
                        "max": max(s["threads"] for s in samples)},
            "processes": {"start": base["processes"], "end": end["processes"],
                          "max": max(s["processes"] for s in samples), "warm_parents_end": len(parents_end),
                          "end_list": sorted(Counter(comm for _, comm in procs_end).items()),
                          "left_over": left_over,
                          "leftover_scratch_folders": leftover_scratch[:20]},
            "data_dir_mb": {"before": data_before, "after": data_after},
            "operations": dict(sorted(tally.ops.items())), "outcomes": dict(sorted(tally.outcomes.items())),
            "heap_mb": {"start": {k: base.get(k) for k in ("heap_committed_mb", "heap_used_mb")},
                        "end": {k: end.get(k) for k in ("heap_committed_mb", "heap_used_mb")},
                        "max_committed": max((s["heap_committed_mb"] for s in samples if "heap_committed_mb" in s), default=None)},
            "statuses": dict(sorted(tally.statuses.items())),
            "operations_total": ops, "errors_total": errors, "errors": dict(tally.errors),
            "error_examples": tally.examples, "usage": usage,
            "machine_shared": "other engineers' builds and tests shared this 2-core machine during the run",
        }
        result["verdict"] = verdict(result)
        if errors:
            print(json.dumps({k: v for k, v in result.items() if k != "samples"}, indent=2), file=sys.stderr)
            raise AssertionError(f"soak: {errors} errors in {ops} operations: {tally.examples[:5]}")
        return result
    finally:
        srv.stop()
        shutil.rmtree(srv.data, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


def verdict(result):
    """Flat, by the rule stated in the report: fds back to the baseline ± FD_SLACK once settled, threads
    back to baseline + THREAD_SLACK, RSS slope after warm-up under RSS_SLOPE_MB_H, no scratch folder or
    run process left (the only processes left are the warm parents: bwrap + their Python)."""
    fds, rss, thr, procs = result["fds"], result["rss_mb"], result["threads"], result["processes"]
    checks = {
        "fds_back_to_baseline": abs(fds["end"] - fds["baseline"]) <= FD_SLACK,
        "threads_back_to_baseline": thr["end"] <= thr["baseline"] + THREAD_SLACK,
        "rss_slope_ok": rss["slope_after_warmup_mb_per_h"] is not None and rss["slope_after_warmup_mb_per_h"] < RSS_SLOPE_MB_H,
        "no_scratch_left": not procs["leftover_scratch_folders"],
        "no_run_process_left": not procs["left_over"],
    }
    return {"flat": all(checks.values()), "checks": checks}


def targets(result):
    rss, fds = result["rss_mb"], result["fds"]
    return [Target("Soak", f"RSS slope after warm-up ({result['duration_s'] / 60:.0f} min mixed load)",
                   f"{rss['slope_after_warmup_mb_per_h']:+.0f} MB/h", f"< {RSS_SLOPE_MB_H} MB/h",
                   result["verdict"]["checks"]["rss_slope_ok"]),
            Target("Soak", "open fds at the end vs after warm-up", f"{fds['end']} vs {fds['baseline']}",
                   f"± {FD_SLACK}", result["verdict"]["checks"]["fds_back_to_baseline"])]


def section(result, charts):
    samples = [s for s in result["samples"] if s.get("phase") != "settled"]
    xs = [s["t_s"] / 60 for s in samples]
    rss, fds, thr, procs = result["rss_mb"], result["fds"], result["threads"], result["processes"]
    heap, ops = result["heap_mb"], result["operations"]
    checks = result["verdict"]["checks"]
    yes = {True: "yes", False: "**no**"}
    rows = ["| measure | start | after warm-up | end (settled) | max | first / last window mean | slope after warm-up |",
            "| --- | --- | --- | --- | --- | --- | --- |",
            f"| RSS (MB) | {rss['start']} | {rss['baseline']} | {rss['end']} | {rss['max']} | "
            f"{rss['first_window_mean']} / {rss['last_window_mean']} | {rss['slope_after_warmup_mb_per_h']:+.1f} MB/h |",
            f"| open fds | {fds['start']} | {fds['baseline']} | {fds['end']} | {fds['max']} | "
            f"{fds['first_window_mean']} / {fds['last_window_mean']} | {fds['slope_after_warmup_per_h']:+.1f} /h |",
            f"| JVM threads | {thr['start']} | {thr['baseline']} | {thr['end']} | {thr['max']} | — | — |",
            f"| processes under the server | {procs['start']} | — | {procs['end']} | {procs['max']} | — | — |",
            f"| JVM heap committed / used (MB) | {heap['start']['heap_committed_mb']} / {heap['start']['heap_used_mb']} | — "
            f"| {heap['end']['heap_committed_mb']} / {heap['end']['heap_used_mb']} | {heap['max_committed']} committed | — | — |"]
    outcomes = result["outcomes"]
    shared = result.get("machine_shared", "")
    runs = outcomes.get("run.terminal", 0)
    thread_runs = ops.get("thread.run", 0)
    return f"""{result['duration_s'] / 60:.1f} minutes of mixed load against one server (real sandboxes, SQLite):
{result['load']}. Every {result['sample_every_s']} s the JVM's RSS (`VmRSS`), open file descriptors
(`/proc/<pid>/fd`), threads and the processes under it are sampled. {result['operations_total']:,} requests
({runs:,} hello runs, {thread_runs:,} thread runs, {ops.get('sse.subscribe', 0):,} SSE subscriptions,
{outcomes.get('deploy.built', 0)} redeploys), **{result['errors_total']} errors** (a 5xx, an unexpected status
or a failed run would each be one). {shared[:1].upper() + shared[1:]}.

{chr(10).join(rows)}

**Verdict: {"flat" if result['verdict']['flat'] else "NOT flat"}.** The rule: once the load stops and the
runs settle (10 s idle), open fds are back within ±{FD_SLACK} of the baseline taken after the warm-up
(the first {result['warmup_s'] // 60 or result['warmup_s']} {'min' if result['warmup_s'] >= 60 else 's'}: JIT,
heap sizing, the warm parents starting) — {yes[checks['fds_back_to_baseline']]}; threads back to at most
baseline + {THREAD_SLACK} — {yes[checks['threads_back_to_baseline']]}; the least-squares RSS slope over the
samples after warm-up is under {RSS_SLOPE_MB_H} MB/h — {yes[checks['rss_slope_ok']]}; no run scratch folder
left — {yes[checks['no_scratch_left']]}; the only processes left are the warm parents
({procs['warm_parents_end']} at the end, each a bwrap sandbox with the shell that applies its limits and the
Python that forks runs: {', '.join(f'{c} × {n}' for c, n in procs['end_list']) or 'none'})
— {yes[checks['no_run_process_left']]}. RSS is the whole JVM (heap as the JVM sized it, with the default
maximum heap of a quarter of RAM, plus metaspace, code cache and thread stacks), so a JVM that grows its heap
during warm-up shows as a rise that then levels off. Data dir: {result['data_dir_mb']['before']} MB before,
{result['data_dir_mb']['after']} MB after (run records, events and artifacts kept by design).

{charts.lines("soak_rss", "Soak: server JVM RSS and heap (MB)", xs,
              {"RSS": [s["rss_mb"] for s in samples], "heap committed": carried(samples, "heap_committed_mb"),
               "heap used": carried(samples, "heap_used_mb")}, "minutes", "MB")}
{charts.lines("soak_fds", "Soak: open file descriptors, threads and processes", xs,
              {"open fds": [s["fds"] for s in samples], "JVM threads": [s["threads"] for s in samples],
               "processes under the server": [s["processes"] for s in samples]}, "minutes", "count")}"""


def carried(samples, key):
    """A rarer measurement (the heap) on every sample's x: the last value seen (None before the first)."""
    last, out = None, []
    for s in samples:
        last = s.get(key, last)
        out.append(last)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="60 s instead of 30 minutes (CI smoke)")
    ap.add_argument("--minutes", type=int, help=f"how long to load the server (default {MINUTES})")
    args = ap.parse_args()
    write_result("reliability_soak", run(args.quick, args.minutes), args.quick)


if __name__ == "__main__":
    main()

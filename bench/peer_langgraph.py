#!/usr/bin/env python3
"""Item 7, the peer side by side: LangGraph's API server in its local in-memory mode (`langgraph dev`),
with a graph equivalent to examples/hello, measured with the same definitions as our items 1–3.

    python3 bench/peer_langgraph.py [--quick]

The peer runs from its own virtualenv (bench/peers/langgraph/requirements.txt, every package pinned;
scripts/lib/suite.sh builds it and exports CREWSHIP_LANGGRAPH_PYTHON; run on its own, this module builds
it the same way). It listens on 127.0.0.1 only, with LangSmith tracing, the CLI's analytics and the
version check switched off, so it never tries to reach the network.

What is measured, in this order on one peer process (the same order and parameters as ours):
  api load, GET    wrk on `GET /threads/{tid}/runs/{rid}` (a finished run) after the same unmeasured
                   warm-up, as bench/api_load.py does on `GET /v1/runs/{id}`
  run overhead     runs one after another: the client's clock at `POST /runs` → the peer's own
                   timestamps of the run's start and completion (see MAPPING)
  sequential       40 runs, each created after the previous one's stream ended on the client
  burst            1,000 runs (quick 100) created at once by 32 client connections
  api load, POST   wrk on `POST /runs` (accept only: the peer answers 200 once the run is queued)
"""
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wrk  # noqa: E402
from common import BENCH, ROOT, free_port, ms, parse_ts, standalone, submit_burst, summary  # noqa: E402

TITLE = "7. Peer, side by side: LangGraph"
PEER_DIR = os.path.join(BENCH, "peers", "langgraph")
REQUIREMENTS = os.path.join(PEER_DIR, "requirements.txt")
GRAPH = "hello"
OVERHEAD_RUNS, QUICK_OVERHEAD_RUNS = 500, 20
BURST_RUNS, QUICK_BURST_RUNS = 1000, 100
BURST_CONCURRENCY = 32          # as bench/throughput.py
SEQUENTIAL = 40
WARM_UP_RUNS = 5
START_TIMEOUT_S = 300           # it imports a lot; on a busy 2-core machine this takes tens of seconds
RUN_TIMEOUT_S = 600
POLL_S = 0.05                   # while waiting for a run to finish (ours: bench/common.Server.wait_run)
STREAM_TIMEOUT_S = 120          # a run's stream that stays silent this long is a failure, not a wait

# The peer offline: no tracing to LangSmith, no CLI analytics, no "newer version" look-up on PyPI. Logs
# as JSON lines so that its own per-run timestamps can be read back; unbuffered so they reach the file
# when written.
PEER_ENV = {
    "LANGSMITH_TRACING": "false", "LANGSMITH_TRACING_V2": "false",
    "LANGCHAIN_TRACING_V2": "false", "LANGCHAIN_TRACING": "false",
    "LANGGRAPH_CLI_NO_ANALYTICS": "1", "LANGGRAPH_NO_VERSION_CHECK": "1",
    "LOG_JSON": "true", "LOG_COLOR": "false", "PYTHONUNBUFFERED": "1",
}
# Keys that would switch on calls home (the license beacon, LangSmith): never passed to the peer.
PEER_ENV_REMOVED = ("LANGSMITH_API_KEY", "LANGCHAIN_API_KEY", "LANGGRAPH_CLOUD_LICENSE_KEY",
                    "LANGSMITH_CONTROL_PLANE_API_KEY", "LANGSMITH_ENDPOINT", "LANGCHAIN_ENDPOINT")

MAPPING = {
    "run.started": "the peer's `run_started_at`, logged by its worker (`Starting background run`) when it takes "
                   "the run off its queue, before the graph starts; ours records run.started when the "
                   "dispatcher claims the run, before the sandbox starts",
    "run.completed": "the run's `updated_at` once `GET /threads/{tid}/runs/{rid}` shows `status: success`: the "
                     "moment the peer stored the run as terminal, as ours records run.completed",
    "created": "the run's `created_at` (queue wait = `run_started_at` − `run_created_at`, both from the "
               "worker's `Background run succeeded` log line)",
    "create": "`POST /runs`: a stateless background run of the `hello` graph with `on_completion: keep`, "
              "one request per run like our `POST /v1/runs` with a deployment id (the peer makes a thread "
              "for it); it answers 200 once the run is queued",
    "get": "`GET /threads/{tid}/runs/{rid}`: one finished run, like our `GET /v1/runs/{id}`",
    "sequential end": "the end of the run's stream (`GET /threads/{tid}/runs/{rid}/stream`) on the client, "
                      "as ours follows the run's SSE stream to its terminal event",
}


def default_jobs():
    """Runs the peer executes at once: our --max-concurrent-runs default (twice the cores, at least 4),
    so both sides get the same parallelism (`langgraph dev` alone would run one at a time)."""
    return max(4, 2 * os.cpu_count())


def peer_python():
    """The peer's virtualenv python: from scripts/lib/suite.sh, or built (cached) the same way."""
    python = os.environ.get("CREWSHIP_LANGGRAPH_PYTHON")
    if python:
        return python
    out = subprocess.run(["bash", "-c", '. scripts/lib/bench.sh && crewship_bench_venv "$1" python3', "_",
                          os.path.relpath(REQUIREMENTS, ROOT)], cwd=ROOT, capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        raise RuntimeError(f"could not build the LangGraph peer's virtualenv: {out.stderr.strip()}")
    return out.stdout.strip().splitlines()[-1]


class LangGraphPeer:
    """`langgraph dev` on a free loopback port, from a temp copy of bench/peers/langgraph (it writes its
    in-memory store's snapshots under the working directory)."""

    def __init__(self, python, jobs):
        self.python = python
        self.jobs = jobs
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.dir = tempfile.mkdtemp(prefix="cs-bench-langgraph-")
        self.log_path = os.path.join(self.dir, "server.log")
        self.proc = None

    def start(self):
        for name in ("langgraph.json", "hello_graph.py"):
            shutil.copy(os.path.join(PEER_DIR, name), self.dir)
        env = {k: v for k, v in os.environ.items() if k not in PEER_ENV_REMOVED}
        env.update(PEER_ENV)
        langgraph = os.path.join(os.path.dirname(self.python), "langgraph")
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [langgraph, "dev", "--no-browser", "--no-reload", "--host", "127.0.0.1", "--port", str(self.port),
                 "--n-jobs-per-worker", str(self.jobs), "--config", "langgraph.json"],
                cwd=self.dir, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, env=env)
        deadline = time.time() + START_TIMEOUT_S
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"langgraph dev exited {self.proc.returncode}: {self.log_tail()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/ok")
                if conn.getresponse().status == 200:
                    conn.close()
                    return self
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError("langgraph dev not ready in time: " + self.log_tail())

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def log_tail(self, n=3000):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-n:]
        except OSError:
            return ""

    def run_log(self):
        """The worker's own timestamps per run id, from its JSON log lines."""
        runs = {}
        with open(self.log_path, errors="replace") as f:
            for line in f:
                if not line.startswith("{"):
                    continue
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if entry.get("event") in ("Starting background run", "Background run succeeded") and "run_id" in entry:
                    fields = runs.setdefault(entry["run_id"], {})
                    for key in ("run_started_at", "run_created_at", "run_ended_at"):
                        if key in entry:
                            fields[key] = parse_ts(entry[key])
        return runs


class Client:
    """One keep-alive HTTP connection to the peer (its dev server needs no key)."""

    def __init__(self, port, timeout=RUN_TIMEOUT_S):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def call(self, method, path, body=None):
        headers = {"Content-Type": "application/json"} if body is not None else {}
        data = json.dumps(body).encode() if body is not None else None
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=data, headers=headers)
                resp = self.conn.getresponse()
                raw = resp.read()
                return resp.status, (json.loads(raw) if raw else None)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()  # an idle keep-alive connection the server closed; reconnect once
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def create_run(self, topic):
        code, run = self.call("POST", "/runs", create_body(topic))
        if code != 200:
            raise AssertionError(f"POST /runs → {code}: {run}")
        return run["thread_id"], run["run_id"]

    def finished_run(self, tid, rid):
        """Polls the run until it is terminal and returns its record; raises unless it succeeded. (Not
        `…/join`: on this version a join of a run that had just finished sometimes never answered.) The
        figures come from the peer's timestamps, so the polling interval does not enter them."""
        deadline = time.time() + RUN_TIMEOUT_S
        while True:
            code, run = self.call("GET", f"/threads/{tid}/runs/{rid}")
            if code != 200:
                raise AssertionError(f"GET of run {rid} → {code}: {run}")
            if run["status"] not in ("pending", "running"):
                break
            if time.time() > deadline:
                raise AssertionError(f"run {rid} still {run['status']} after {RUN_TIMEOUT_S} s")
            time.sleep(POLL_S)
        if run["status"] != "success":
            raise AssertionError(f"run {rid} did not succeed: {run}")
        return run

    def follow_to_end(self, tid, rid):
        """Reads the run's event stream until the peer ends it; returns the event names seen."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=STREAM_TIMEOUT_S)
        try:
            conn.request("GET", f"/threads/{tid}/runs/{rid}/stream", headers={"Accept": "text/event-stream"})
            resp = conn.getresponse()
            if resp.status != 200:
                raise AssertionError(f"stream of run {rid} → {resp.status}")
            return [line[6:].strip().decode() for line in resp if line.startswith(b"event:")]
        finally:
            conn.close()

    def close(self):
        self.conn.close()


def create_body(topic):
    return {"assistant_id": GRAPH, "input": {"topic": topic}, "on_completion": "keep"}


def versions(python):
    code = ("import importlib.metadata as m, json; print(json.dumps({p: m.version(p) for p in "
            "('langgraph-cli', 'langgraph-api', 'langgraph-runtime-inmem', 'langgraph')}))")
    return json.loads(subprocess.run([python, "-c", code], capture_output=True, text=True, check=True).stdout)


def wait_for_log(peer, run_ids, timeout=30):
    """The worker logs a run's timestamps just before storing it as terminal; give the file a moment."""
    deadline = time.time() + timeout
    while True:
        log = peer.run_log()
        missing = [r for r in run_ids if "run_created_at" not in log.get(r, {}) or "run_started_at" not in log.get(r, {})]
        if not missing:
            return log
        if time.time() > deadline:
            raise AssertionError(f"{len(missing)} runs missing from the peer's log, e.g. {missing[0]}")
        time.sleep(0.2)


def measure_overhead(peer, n):
    client = Client(peer.port)
    try:
        posted = []
        for i in range(n):
            t0 = time.time()
            tid, rid = client.create_run(f"bench {i}")
            run = client.finished_run(tid, rid)
            posted.append((rid, t0, parse_ts(run["updated_at"])))
        log = wait_for_log(peer, [rid for rid, _, _ in posted])
        to_started = [(log[rid]["run_started_at"] - t0) * 1000 for rid, t0, _ in posted]
        to_completed = [(done - t0) * 1000 for _, t0, done in posted]
        return {"runs": n, "post_to_run_started_ms": summary(to_started),
                "post_to_run_completed_ms": summary(to_completed)}
    finally:
        client.close()


def measure_sequential(peer, n):
    client = Client(peer.port)
    try:
        per_run, ran = [], []
        t0 = time.perf_counter()
        for i in range(n):
            started = time.perf_counter()
            tid, rid = client.create_run(f"sequential {i}")
            events = client.follow_to_end(tid, rid)
            if "error" in events:
                raise AssertionError(f"sequential run {rid} streamed an error: {events}")
            per_run.append((time.perf_counter() - started) * 1000)
            ran.append((tid, rid))
        seconds = time.perf_counter() - t0
        for tid, rid in ran:  # outside the clock: every one of them really succeeded
            client.finished_run(tid, rid)
        return {"runs": n, "seconds": round(seconds, 3), "per_run_ms": summary(per_run)}
    finally:
        client.close()


def measure_burst(peer, n, concurrency):
    created, t0, submitted_s = submit_burst(n, concurrency, lambda: Client(peer.port),
                                            lambda client, i: client.create_run(f"burst {i}"))
    client = Client(peer.port)
    try:
        finished = [client.finished_run(tid, rid) for tid, rid in created]
    finally:
        client.close()
    log = wait_for_log(peer, [rid for _, rid in created])
    seconds = max(parse_ts(r["updated_at"]) for r in finished) - t0
    queue_wait = [(log[rid]["run_started_at"] - log[rid]["run_created_at"]) * 1000 for _, rid in created]
    return {"runs": n, "submit_concurrency": concurrency, "seconds": round(seconds, 3),
            "runs_per_s": round(n / seconds, 1), "queue_wait_ms": summary(queue_wait),
            "submit_seconds": round(submitted_s, 3)}


def run(quick):
    python = peer_python()
    jobs = default_jobs()
    peer = LangGraphPeer(python, jobs)
    started = time.time()
    try:
        peer.start()
        ready_s = time.time() - started
        client = Client(peer.port)
        try:
            warm = []
            for i in range(WARM_UP_RUNS):  # loads the graph and warms every path measured below
                tid, rid = client.create_run(f"warm-up {i}")
                client.finished_run(tid, rid)
                warm.append((tid, rid))
        finally:
            client.close()
        tid, rid = warm[-1]
        warmed = wrk.warm_up(f"{peer.url}/threads/{tid}/runs/{rid}", quick=quick)
        get_run = {**wrk.run(f"{peer.url}/threads/{tid}/runs/{rid}", quick=quick), "warm_up_requests": warmed}
        overhead = measure_overhead(peer, QUICK_OVERHEAD_RUNS if quick else OVERHEAD_RUNS)
        sequential = measure_sequential(peer, SEQUENTIAL)
        burst = measure_burst(peer, QUICK_BURST_RUNS if quick else BURST_RUNS, BURST_CONCURRENCY)
        # Last: it leaves thousands of queued runs behind, which the peer is stopped with.
        create_run = wrk.run(f"{peer.url}/runs", method="POST", headers={"Content-Type": "application/json"},
                             body=json.dumps(create_body("load")), quick=quick)
        v = versions(python)
        return {
            "peer": f"LangGraph API {v['langgraph-api']} (langgraph dev, in-memory)",
            "peer_versions": v,
            "mode": {"command": "langgraph dev --no-browser --no-reload --host 127.0.0.1 --port P "
                                f"--n-jobs-per-worker {jobs}",
                     "runtime": "langgraph-runtime-inmem (in-memory store, snapshots to the working directory)",
                     "jobs": jobs, "auth": "none (the dev server's noop auth)", "ready_s": round(ready_s, 1),
                     "env": PEER_ENV},
            "graph": "bench/peers/langgraph/hello_graph.py",
            "mapping": MAPPING,
            "run_overhead": overhead,
            "throughput": {"burst": burst, "sequential": sequential},
            "api_load": {"get_run": get_run, "create_run": create_run},
        }
    finally:
        peer.stop()
        peer.cleanup()


def section(result, charts):
    o, t, a = result["run_overhead"], result["throughput"], result["api_load"]
    s, c = o["post_to_run_started_ms"], o["post_to_run_completed_ms"]
    b, q = t["burst"], t["sequential"]
    g, p = a["get_run"], a["create_run"]
    mode = result["mode"]
    mapping = "\n".join(f"- **{k}**: {v}" for k, v in result["mapping"].items())
    versions_text = ", ".join(f"{k} {v}" for k, v in result["peer_versions"].items())
    return f"""The peer is **{result['peer']}** ({versions_text}): LangGraph's API server in its local in-memory mode,
started as `{mode['command']}` from its own pinned virtualenv (`bench/peers/langgraph/requirements.txt`),
on 127.0.0.1 only, with tracing, analytics and the version check off. It runs {mode['jobs']} runs at once,
our `--max-concurrent-runs` default (the dev server alone would run one at a time); it checks no API key
(ours verifies one on every request). Its graph, `{result['graph']}`, is one node that does what
`examples/hello` does (the same three-note report from the input's topic, no LLM) without the artifact file. Same machine, same invocation, same definitions as items 1–3; the ratios are
in those sections and in the summary.

How the peer's events map to ours:

{mapping}

Its in-memory queue is polled: an idle worker sleeps 0.5 s between looks, and a look takes only runs
created before that sleep began, so a run submitted to an idle peer starts 0.5–1 s later
(`langgraph_runtime_inmem.ops.Runs.next`). That is most of its per-run latency one run at a time. Its
production mode (PostgreSQL and Redis, which wakes workers) is not measured here.

| measure | runs / requests | figure |
| --- | --- | --- |
| POST → run started, one after another | {o['runs']} | p50 {ms(s['p50'])} / p90 {ms(s['p90'])} / p99 {ms(s['p99'])} |
| POST → run completed, one after another | {o['runs']} | p50 {ms(c['p50'])} / p90 {ms(c['p90'])} / p99 {ms(c['p99'])} |
| burst, {b['submit_concurrency']} client connections | {b['runs']:,} | {b['runs_per_s']:,.1f} runs/s ({b['seconds']:,.2f} s); queue wait p50 {ms(b['queue_wait_ms']['p50'])} / p99 {ms(b['queue_wait_ms']['p99'])} |
| runs one after another | {q['runs']} | {q['seconds']:,.2f} s in total; per run p50 {ms(q['per_run_ms']['p50'])} |
| `GET /threads/{{tid}}/runs/{{rid}}`, wrk -t{g['threads']} -c{g['connections']} -d{g['duration_s']}s | {g['requests']:,} | {g['requests_per_s']:,.0f} req/s; p50 / p90 / p99 {wrk.latency_text(g)}; non-2xx {g['non_2xx']}, socket errors {g['socket_errors']} |
| `POST /runs` (accept only), wrk -t{p['threads']} -c{p['connections']} -d{p['duration_s']}s | {p['requests']:,} | {p['requests_per_s']:,.0f} req/s; p50 / p90 / p99 {wrk.latency_text(p)}; non-2xx {p['non_2xx']}, socket errors {p['socket_errors']} |

Before the GET, {g.get('warm_up_requests', 0):,} unmeasured requests (as for ours). Start to ready: {mode['ready_s']} s."""


if __name__ == "__main__":
    standalone("peer_langgraph", run, __doc__.splitlines()[0])

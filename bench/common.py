"""What every benchmark and reliability check shares: machine facts, latency summaries, and the result
files under bench/results/ that bench/report.py turns into BENCHMARKS.md.

A suite module (bench/<name>.py, reliability/<name>.py) has:
    TITLE                      its heading in BENCHMARKS.md
    run(quick) -> dict         measures and returns the figures (asserts nothing about speed)
    section(result, charts)    -> markdown for BENCHMARKS.md (charts: bench.charts.Charts)
    targets(result)            -> [Target], the rows of the summary table (optional)
and a `main()` so it also runs on its own: `python3 bench/<name>.py [--quick]`."""
import argparse
import datetime as dt
import http.client
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from typing import NamedTuple, Optional

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
RESULTS = os.path.join(BENCH, "results")
# Quick (smoke) runs never overwrite the published figures: their results, report and charts go here.
QUICK_RESULTS = os.path.join(BENCH, "results-quick")
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
sys.path.insert(0, os.path.join(ROOT, "tools", "fake-llm"))

from crewship_e2e import EventFollower, Server, crew_copy, free_port  # noqa: E402,F401  (re-exported for the suites)


class Target(NamedTuple):
    """One row of BENCHMARKS.md's summary: a figure, ours and the peer's, and whether we meet the target."""
    item: str                 # the item, e.g. "1. Run overhead"
    measure: str              # e.g. "process warm: POST → run.started p50"
    ours: str                 # formatted, e.g. "6.1 ms"
    target: str               # e.g. "≤ 10 ms"
    met: Optional[bool]       # None when there is no target or it was not measured
    peer: str = ""            # the peer's figure for the same measure, formatted ("" when none)
    ratio: str = ""           # peer over ours (or ours over peer), formatted with what it means


def percentile(values, p):
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def summary(values):
    """p50/p90/p99/mean/max of a list of numbers (milliseconds by convention), rounded for the report."""
    if not values:
        return {"n": 0}
    return {"n": len(values), "p50": round(percentile(values, 50), 2), "p90": round(percentile(values, 90), 2),
            "p99": round(percentile(values, 99), 2), "mean": round(statistics.mean(values), 2),
            "max": round(max(values), 2)}


def parse_ts(text):
    """An API timestamp (RFC 3339, `Z`) as epoch seconds."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def ms(value, digits=1):
    if value is None:
        return "—"
    return f"{value:,.{digits}f} ms" if value < 10_000 else f"{value / 1000:,.1f} s"


def jdk_version():
    """The JDK bin/crewship runs on (the newest ≥ 21 under /usr/lib/jvm, as scripts/lib/jdk.sh picks it)."""
    out = subprocess.run(["bash", "-c", ". scripts/lib/jdk.sh && crewship_select_jdk >/dev/null && java -version"],
                         cwd=ROOT, capture_output=True, text=True)
    return (out.stderr.splitlines() or ["unknown"])[0]


def machine():
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    # Dirty means code that differs from the commit; the suites' own outputs, rewritten as a run goes, do not count.
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".",
                            ":(exclude)bench/results", ":(exclude)bench/charts", ":(exclude)BENCHMARKS.md"],
                           cwd=ROOT, capture_output=True, text=True).stdout.strip()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {"cores": os.cpu_count(), "memory_gib": round(mem / 2**30, 1), "kernel": platform.release(),
            "python": platform.python_version(), "jdk": jdk_version(),
            "commit": commit + ("-dirty" if dirty else ""), "load_avg_1m": round(os.getloadavg()[0], 2)}


def session():
    """Which invocation of bench/run.py a result belongs to, so the report can tell figures measured in the
    same run (ours beside the peer's) from older ones."""
    return os.environ.get("CREWSHIP_BENCH_SESSION") or dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def results_dir(quick):
    return QUICK_RESULTS if quick else RESULTS


def result_path(name, quick=False):
    return os.path.join(results_dir(quick), f"{name}.json")


def write_result(name, figures, quick):
    """Writes bench/results/<name>.json: the figures plus when, where and on what they were measured."""
    result = {"benchmark": name, "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
              "session": session(), "quick": quick, "machine": machine(), **figures}
    os.makedirs(results_dir(quick), exist_ok=True)
    with open(result_path(name, quick), "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    print(f"wrote {os.path.relpath(result_path(name, quick), ROOT)}")
    return result


def load_result(name, quick=None):
    """The newest result of a suite: of the quick runs when quick is true (or, when None, of the kind
    bench/report.py is rendering, CREWSHIP_BENCH_QUICK=1 meaning quick)."""
    if quick is None:
        quick = os.environ.get("CREWSHIP_BENCH_QUICK") == "1"
    try:
        with open(result_path(name, quick)) as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def peer_figures(measure):
    """The LangGraph peer's figures for one measure ("run_overhead", "throughput", "api_load") and its whole
    result, when bench/peer_langgraph.py has run; (None, None) otherwise."""
    peer = load_result("peer_langgraph")
    return (peer or {}).get(measure), peer


class Client:
    """One keep-alive HTTP connection to a Crewship server (http.client; urllib opens one per request)."""

    def __init__(self, srv):
        self.srv = srv
        self.conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=120)

    def timed(self, method, path, body=None):
        """(status, JSON body or None, milliseconds from sending the request to the end of the answer)."""
        t0 = time.perf_counter()
        status, answer = self.call(method, path, body)
        return status, answer, (time.perf_counter() - t0) * 1000

    def call(self, method, path, body=None):
        """(status, JSON body or None) of one request."""
        headers = {"Authorization": f"Bearer {self.srv.key}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=data, headers=headers)
                resp = self.conn.getresponse()
                raw = resp.read()
                if resp.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                return resp.status, (json.loads(raw) if raw else None)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed an idle keep-alive connection; only a request not yet answered is retried.
                self.conn.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def create_run(self, dep, i):
        code, body = self.call("POST", "/v1/runs", {"deployment_id": dep, "input": {"topic": f"bench {i}"}})
        if code != 202:
            raise AssertionError(f"POST /v1/runs → {code}: {body}")
        return body

    def close(self):
        self.conn.close()


def submit_burst(n, concurrency, open_client, create):
    """Item 2's burst, the same for ours and the peer's: n creates sent at once by `concurrency` keep-alive
    connections (each `open_client()`, closed after), all opened before the clock starts. `create(client, i)`
    sends create number i and returns what identifies the run. Returns (created, t0 epoch seconds,
    seconds the submits took); raises if any create failed."""
    concurrency = min(concurrency, n)
    next_index = iter(range(n))
    lock = threading.Lock()
    created, errors = [], []
    gate = threading.Barrier(concurrency + 1)

    def submitter():
        client = open_client()
        try:
            gate.wait()
            while True:
                with lock:
                    i = next(next_index, None)
                if i is None:
                    return
                ran = create(client, i)
                with lock:
                    created.append(ran)
        except Exception as e:  # noqa: BLE001 — reported after the burst
            errors.append(e)
        finally:
            client.close()

    threads = [threading.Thread(target=submitter, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    gate.wait()  # every connection is open and waiting: the burst starts now
    t0 = time.time()
    for t in threads:
        t.join()
    submitted_s = time.time() - t0
    if errors:
        raise AssertionError(f"{len(errors)} submits failed, the first: {errors[0]!r}")
    return created, t0, submitted_s


def standalone(name, run, description):
    """The `main()` of a suite module: `python3 bench/<name>.py [--quick]` measures and writes its result."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--quick", action="store_true", help="a short smoke run (CI), figures not representative")
    args = ap.parse_args()
    return write_result(name, run(args.quick), args.quick)

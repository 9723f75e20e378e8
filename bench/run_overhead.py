#!/usr/bin/env python3
"""Run overhead benchmark: time from `POST /v1/runs` to the run's `run.started` event and to
`run.completed`, for examples/hello, against the real server with the real sandbox, once with warm
starts (the default) and once with every run starting cold (`--no-warm-starts`).

    python3 bench/run_overhead.py [--runs 200] [--quick] [--mode warm|cold|both]

Latency is measured on the client's clock: t0 just before the POST is sent; `run.started` and
`run.completed` are read from the events' `created_at` (same machine, same clock). Runs are sent
one after another so the figure is the per-run overhead, not queueing. Writes
bench/results/run_overhead.json and prints a summary. A benchmark, not a test: it asserts nothing."""
import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from crewship_e2e import Server, crew_copy  # noqa: E402


def parse_ts(text):
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def percentile(values, p):
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def machine():
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {"cores": os.cpu_count(), "memory_gib": round(mem / 2**30, 1), "kernel": platform.release(),
            "python": platform.python_version(), "commit": commit}


def measure(mode, n):
    tmp = tempfile.mkdtemp(prefix="cs-bench-")
    os.chmod(tmp, 0o711)  # the runs' uids pass through it to the data dir
    srv = Server(extra=("--no-warm-starts",) if mode == "cold" else ()).start()
    try:
        import pathlib
        dep = srv.deploy("bench-hello", crew_copy("hello", pathlib.Path(tmp)))["id"]
        # The first run starts cold and starts the warm parent; a few more let it get ready.
        for i in range(5):
            srv.run(dep, {"topic": "warm-up"})
        to_started, to_completed = [], []
        for i in range(n):
            t0 = time.time()
            run = srv.start_run({"deployment_id": dep, "input": {"topic": f"bench {i}"}})
            final = srv.wait_run(run["id"])
            assert final["status"] == "succeeded", final
            code, events = srv.json("GET", f"/v1/runs/{run['id']}/events", headers={"Accept": "application/json"})
            by_type = {e["type"]: e for e in events["data"]}
            to_started.append((parse_ts(by_type["run.started"]["created_at"]) - t0) * 1000)
            to_completed.append((parse_ts(by_type["run.completed"]["created_at"]) - t0) * 1000)
        return {
            "executor": f"process (bubblewrap, {mode})", "runs": n,
            "post_to_run_started_ms": summary(to_started),
            "post_to_run_completed_ms": summary(to_completed),
        }
    finally:
        srv.stop()
        shutil.rmtree(srv.data, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


def summary(values):
    return {"p50": round(percentile(values, 50), 1), "p90": round(percentile(values, 90), 1),
            "p99": round(percentile(values, 99), 1), "mean": round(statistics.mean(values), 1)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--quick", action="store_true", help="20 runs per mode, for CI smoke")
    ap.add_argument("--mode", choices=("warm", "cold", "both"), default="both")
    args = ap.parse_args()
    n = 20 if args.quick else args.runs
    modes = ("warm", "cold") if args.mode == "both" else (args.mode,)
    result = {
        "benchmark": "run_overhead", "crew": "examples/hello",
        "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "machine": machine(),
        "targets": {"warm post_to_run_started p50": "<= 10 ms", "warm post_to_run_completed p50": "<= 50 ms",
                    "post_to_run_started p50 (issue 3)": "<= 50 ms"},
        "results": [measure(mode, n) for mode in modes],
    }
    write_result("run_overhead", result)


def write_result(name, result):
    """Writes bench/results/<name>.json and prints it."""
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    out = os.path.join(HERE, "results", f"{name}.json")
    with open(out, "w") as f:
        json.dump(result, f, indent=2)
    print(json.dumps(result, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

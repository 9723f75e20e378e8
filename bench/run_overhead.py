#!/usr/bin/env python3
"""Run overhead benchmark: time from `POST /v1/runs` to the run's `run.started` event and to
`run.completed`, for examples/hello, against the real server with the real sandbox.

    python3 bench/run_overhead.py [--runs 200] [--quick]

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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--quick", action="store_true", help="20 runs, for CI smoke")
    args = ap.parse_args()
    n = 20 if args.quick else args.runs
    tmp = tempfile.mkdtemp(prefix="cs-bench-")
    srv = Server().start()
    try:
        import pathlib
        dep = srv.deploy("bench-hello", crew_copy("hello", pathlib.Path(tmp)))["id"]
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
        result = {
            "benchmark": "run_overhead", "crew": "examples/hello", "executor": "process (bubblewrap, cold)",
            "runs": n, "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "machine": machine(),
            "post_to_run_started_ms": {"p50": round(percentile(to_started, 50), 1), "p90": round(percentile(to_started, 90), 1),
                                        "p99": round(percentile(to_started, 99), 1), "mean": round(statistics.mean(to_started), 1)},
            "post_to_run_completed_ms": {"p50": round(percentile(to_completed, 50), 1), "p90": round(percentile(to_completed, 90), 1),
                                          "p99": round(percentile(to_completed, 99), 1), "mean": round(statistics.mean(to_completed), 1)},
            "target": "post_to_run_started p50 <= 50 ms",
        }
        os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
        out = os.path.join(HERE, "results", "run_overhead.json")
        with open(out, "w") as f:
            json.dump(result, f, indent=2)
        print(json.dumps(result, indent=2))
        print(f"wrote {out}")
    finally:
        srv.stop()
        shutil.rmtree(srv.data, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

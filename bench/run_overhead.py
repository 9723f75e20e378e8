#!/usr/bin/env python3
"""Item 1, run overhead: time from `POST /v1/runs` to the run's `run.started` event and to
`run.completed`, for a trivial crew (examples/hello), per executor, runs one after another.

    python3 bench/run_overhead.py [--quick] [--runs N]

Executors: process with warm starts (the default: runs fork from a warm parent that imported the crew),
process cold (`--no-warm-starts`: a new sandbox and interpreter per run). Latency uses the client's
clock for the POST and the events' `created_at` (same machine, same clock). Runs go one after another
so the figure is the per-run overhead, not queueing."""
import os
import pathlib
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Server, Target, crew_copy, ms, parse_ts, peer_figures, standalone, summary  # noqa: E402

TITLE = "1. Run overhead"
RUNS, QUICK_RUNS = 500, 20
EXECUTORS = {"process-warm": (), "process-cold": ("--no-warm-starts",)}
# DESIGN.md plans a docker executor; until one exists there is nothing to measure for it.
NOT_BUILT = {"docker": "no docker executor exists yet (DESIGN.md §4 plans one); nothing to measure"}


def run(quick, runs=None):
    n = runs or (QUICK_RUNS if quick else RUNS)
    return {"crew": "examples/hello", "executors": {name: measure(flags, n) for name, flags in EXECUTORS.items()},
            "not_measured": NOT_BUILT}


def measure(flags, n):
    tmp = tempfile.mkdtemp(prefix="cs-bench-")
    os.chmod(tmp, 0o711)  # the runs' uids pass through it to the data dir
    srv = Server(extra=flags).start()
    try:
        dep = srv.deploy("bench-hello", crew_copy("hello", pathlib.Path(tmp)))["id"]
        for _ in range(5):  # the first run starts the warm parent; a few more let it get ready
            srv.run(dep, {"topic": "warm-up"})
        to_started, to_completed = [], []
        for i in range(n):
            t0 = time.time()
            run_id = srv.start_run({"deployment_id": dep, "input": {"topic": f"bench {i}"}})["id"]
            final = srv.wait_run(run_id)
            assert final["status"] == "succeeded", final
            _, events = srv.json("GET", f"/v1/runs/{run_id}/events", headers={"Accept": "application/json"})
            by_type = {e["type"]: e for e in events["data"]}
            to_started.append((parse_ts(by_type["run.started"]["created_at"]) - t0) * 1000)
            to_completed.append((parse_ts(by_type["run.completed"]["created_at"]) - t0) * 1000)
        return {"runs": n, "post_to_run_started_ms": summary(to_started),
                "post_to_run_completed_ms": summary(to_completed)}
    finally:
        srv.stop()
        shutil.rmtree(srv.data, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


def targets(result):
    warm = result["executors"]["process-warm"]
    peer, _ = peer_figures("run_overhead")
    rows = []
    for key, label, limit in (("post_to_run_started_ms", "process warm: POST → run.started p50", 10),
                              ("post_to_run_completed_ms", "process warm: POST → run.completed p50", 50)):
        ours = warm[key]["p50"]
        theirs = peer[key]["p50"] if peer and key in peer else None
        rows.append(Target("1. Run overhead", label, ms(ours), f"≤ {limit} ms", ours <= limit,
                           peer=ms(theirs) if theirs is not None else "",
                           ratio=f"{theirs / ours:.1f}× faster" if theirs else ""))
    return rows


def section(result, charts):
    peer, peer_result = peer_figures("run_overhead")
    rows = ["| executor | runs | POST → run.started p50 / p90 / p99 | POST → run.completed p50 / p90 / p99 |",
            "| --- | --- | --- | --- |"]
    series_started, series_completed = {}, {}
    for name, fig in result["executors"].items():
        s, c = fig["post_to_run_started_ms"], fig["post_to_run_completed_ms"]
        rows.append(f"| {name} | {fig['runs']} | {ms(s['p50'])} / {ms(s['p90'])} / {ms(s['p99'])} "
                    f"| {ms(c['p50'])} / {ms(c['p90'])} / {ms(c['p99'])} |")
        series_started[f"Crewship {name}"], series_completed[f"Crewship {name}"] = s, c
    if peer:
        s, c = peer["post_to_run_started_ms"], peer["post_to_run_completed_ms"]
        label = peer_result.get("peer", "LangGraph")
        rows.append(f"| {label} | {peer.get('runs', '?')} | {ms(s['p50'])} / {ms(s['p90'])} / {ms(s['p99'])} "
                    f"| {ms(c['p50'])} / {ms(c['p90'])} / {ms(c['p99'])} |")
        series_started["LangGraph"], series_completed["LangGraph"] = s, c
    for name, why in result.get("not_measured", {}).items():
        rows.append(f"| {name} | — | not measured: {why} | — |")
    return f"""Time from sending `POST /v1/runs` to the run's `run.started` event and to `run.completed`, for
`examples/hello` (a few log lines, two events, one artifact), runs one after another against the real
server with the real bubblewrap sandbox. `run.started` is recorded when the dispatcher claims the run,
before the sandbox starts, so it does not depend on warm or cold starts. Targets (issue 7): process warm
p50 ≤ 10 ms to `run.started`, ≤ 50 ms to `run.completed`.

{chr(10).join(rows)}

{charts.percentiles("run_overhead_started", "POST → run.started", series_started)}
{charts.percentiles("run_overhead_completed", "POST → run.completed", series_completed)}"""


if __name__ == "__main__":
    standalone("run_overhead", run, __doc__.splitlines()[0])

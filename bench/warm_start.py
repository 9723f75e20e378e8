#!/usr/bin/env python3
"""Warm versus cold starts for a real CrewAI crew: time from `POST /v1/runs` to the run's first
`agent.started` event, for examples/research-crew (CrewAI from the wheels scripts/install-deps.sh
caches, LLM calls to the fake LLM on 127.0.0.1), against the real server and sandboxes.

    python3 bench/warm_start.py [--quick] [--warm-runs 50] [--cold-runs 10]

One data dir serves both measurements (the CrewAI environment is built once): first a server with
warm starts (the default; a few runs let the warm parent finish importing), then the same data dir
with `--no-warm-starts`. Runs go one after another. Latency uses the client's clock for the POST and
the event's `created_at` (same machine, same clock). Writes bench/results/warm_start.json.
A benchmark, not a test: it asserts nothing about speed."""
import argparse
import json
import os
import pathlib
import shutil
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import ROOT, Server, Target, crew_copy, ms, parse_ts, summary, write_result  # noqa: E402
from fake_llm import FakeLLM, Rules  # noqa: E402

TITLE = "Warm starts with CrewAI (issue 6)"
CACHE = os.environ.get("CREWSHIP_CACHE_DIR") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "crewship")
CREWAI_VERSION = "1.15.30"
WHEELHOUSE = os.path.join(CACHE, "wheels", f"crewai-{CREWAI_VERSION}")
OFFLINE = {"UV_OFFLINE": "1", "UV_FIND_LINKS": WHEELHOUSE, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": WHEELHOUSE}
WARM_TARGET_MS, COLD_OVER_WARM_TARGET = 100, 20


def to_first_agent(srv, dep):
    t0 = time.time()
    run = srv.start_run({"deployment_id": dep, "input": {"topic": "AI agents"}})
    final = srv.wait_run(run["id"], timeout=300)
    assert final["status"] == "succeeded", final
    code, events = srv.json("GET", f"/v1/runs/{run['id']}/events", headers={"Accept": "application/json"})
    first = next(e for e in events["data"] if e["type"] == "agent.started")
    return (parse_ts(first["created_at"]) - t0) * 1000


def run(quick, warm_runs=50, cold_runs=10):
    if quick:
        warm_runs, cold_runs = 5, 3
    if not os.path.exists(os.path.join(WHEELHOUSE, ".complete")):
        raise RuntimeError(f"no cached CrewAI wheels at {WHEELHOUSE}: run scripts/install-deps.sh first")
    with open(os.path.join(ROOT, "tools", "fake-llm", "rules", "research-crew.json")) as f:
        llm = FakeLLM(Rules(json.load(f)))
    threading.Thread(target=llm.serve_forever, daemon=True).start()
    tmp = tempfile.mkdtemp(prefix="cs-bench-warm-")
    os.chmod(tmp, 0o711)  # the runs' uids pass through it to the data dir
    data = os.path.join(tmp, "data")
    os.makedirs(data)
    try:
        srv = Server(data_dir=data, env=OFFLINE).start()
        try:
            srv.create_project("research-crew")
            srv.json("PATCH", "/v1/projects/research-crew/env", {"vars": {
                "OPENAI_API_KEY": "fake-key", "OPENAI_BASE_URL": llm.base_url, "MODEL": "gpt-4o-mini"}})
            dep = srv.deploy("research-crew", crew_copy("research-crew", pathlib.Path(tmp)), timeout=900)
            assert dep["status"] == "ready", dep
            dep = dep["id"]
            # The first run starts cold and starts the warm parent, which imports CrewAI beside it.
            deadline = time.time() + 300
            samples = []
            while time.time() < deadline:
                samples.append(to_first_agent(srv, dep))
                if len(samples) >= 3 and samples[-1] < samples[0] / 5:
                    break
            warm = summary([to_first_agent(srv, dep) for _ in range(warm_runs)])
        finally:
            srv.stop()
        srv = Server(data_dir=data, extra=("--no-warm-starts",), env=OFFLINE).start()
        try:
            cold = summary([to_first_agent(srv, dep) for _ in range(cold_runs)])
        finally:
            srv.stop()
    finally:
        llm.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)
    return {"crew": "examples/research-crew", "crewai": CREWAI_VERSION,
            "measure": "POST /v1/runs -> first agent.started (ms)", "warm": warm, "cold": cold,
            "cold_over_warm_p50": round(cold["p50"] / warm["p50"], 1)}


def targets(result):
    warm, ratio = result["warm"]["p50"], result["cold_over_warm_p50"]
    return [Target("Issue 6", "CrewAI crew, warm: POST → first agent.started p50", ms(warm), f"≤ {WARM_TARGET_MS} ms",
                   warm <= WARM_TARGET_MS),
            Target("Issue 6", "CrewAI crew: cold p50 over warm p50", f"{ratio}×", f"≥ {COLD_OVER_WARM_TARGET}×",
                   ratio >= COLD_OVER_WARM_TARGET)]


def section(result, charts):
    w, c = result["warm"], result["cold"]
    return f"""Time from sending `POST /v1/runs` to the run's first `agent.started` event for `examples/research-crew`
(CrewAI {result['crewai']}, two agents, two tasks, one tool; the LLM is the fake one on 127.0.0.1), runs
one after another against the real server and sandboxes. Warm: forked from the deployment's warm parent,
which imported CrewAI and prebuilt the crew (docs/runtime-protocol.md, "Warm starts"). Cold: the same data
dir with `--no-warm-starts`, a new sandbox and interpreter importing CrewAI per run.

| start | runs | p50 | p90 | p99 |
| --- | --- | --- | --- | --- |
| warm | {w['n']} | {ms(w['p50'], 0)} | {ms(w['p90'], 0)} | {ms(w['p99'], 0)} |
| cold | {c['n']} | {ms(c['p50'], 0)} | {ms(c['p90'], 0)} | {ms(c['p99'], 0)} |

Cold over warm at p50: **{result['cold_over_warm_p50']}×** (target ≥ {COLD_OVER_WARM_TARGET}×). Warm p50 target
≤ {WARM_TARGET_MS} ms.

{charts.percentiles("warm_start", "POST → first agent.started (CrewAI)", {"Crewship warm": w, "Crewship cold": c}, log=True)}"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--warm-runs", type=int, default=50)
    ap.add_argument("--cold-runs", type=int, default=10)
    ap.add_argument("--quick", action="store_true", help="5 warm and 3 cold runs, for CI smoke")
    args = ap.parse_args()
    write_result("warm_start", run(args.quick, args.warm_runs, args.cold_runs), args.quick)


if __name__ == "__main__":
    main()

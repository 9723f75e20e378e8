#!/usr/bin/env python3
"""Item 3, the API under load: `GET /v1/runs/{id}` and `POST /v1/runs` driven by wrk on loopback at a fixed
concurrency (2 threads, 64 connections, 10 s; quick 3 s): requests per second, latency p50/p90/p99,
non-2xx answers and socket errors.

    python3 bench/api_load.py [--quick]

One server with its defaults (a fresh data dir, examples/hello deployed, a few runs finished). First
unmeasured GETs (bench/wrk.py, warm_up: up to 20,000 or 30 s) let the JVM compile the path; then the GET of one finished run; then the
POST that creates runs, each request with the admin key as every API call needs one. The POST figure is
the accept only (202: the run is stored and queued); the thousands of runs it creates queue and execute
behind it, and the server is stopped with them, so the POST is bounded by its duration alone.
bench/peer_langgraph.py measures the peer with the same wrk parameters (bench/wrk.py)."""
import json
import os
import pathlib
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wrk  # noqa: E402
from common import Server, Target, crew_copy, ms, peer_figures, standalone  # noqa: E402

TITLE = "3. API"
TARGET_GET_PER_S, TARGET_GET_P99_MS = 20_000, 10
WARM_UP_RUNS = 5


def run(quick):
    tmp = tempfile.mkdtemp(prefix="cs-bench-")
    os.chmod(tmp, 0o711)  # the runs' uids pass through it to the data dir
    srv = Server().start()
    try:
        dep = srv.deploy("bench-hello", crew_copy("hello", pathlib.Path(tmp)))["id"]
        for i in range(WARM_UP_RUNS):
            final = srv.run(dep, {"topic": f"warm-up {i}"})
            assert final["status"] == "succeeded", final
        auth = {"Authorization": f"Bearer {srv.key}"}
        get_url = f"{srv.url}/v1/runs/{final['id']}"
        warmed = wrk.warm_up(get_url, headers=auth, quick=quick)
        get_run = {**wrk.run(get_url, headers=auth, quick=quick), "warm_up_requests": warmed}
        create_run = wrk.run(f"{srv.url}/v1/runs", method="POST", headers={**auth, "Content-Type": "application/json"},
                             body=json.dumps({"deployment_id": dep, "input": {"topic": "load"}}), quick=quick)
        return {"crew": "examples/hello", "crewship": {"get_run": get_run, "create_run": create_run},
                "server": {"executor": "process (warm starts)", "store": "SQLite (the default)"}}
    finally:
        srv.stop()
        shutil.rmtree(srv.data, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


def rate(value):
    return f"{value:,.0f} req/s"


def ratio(ours, theirs, higher_is_better):
    if not theirs or not ours:
        return ""
    if higher_is_better:
        return f"{ours / theirs:.1f}× theirs"
    return f"{theirs / ours:.1f}× faster"


def p99(figure):
    return figure["latency_ms"].get("p99")


def targets(result):
    ours = result["crewship"]
    peer, _ = peer_figures("api_load")
    g, p = ours["get_run"], ours["create_run"]
    pg = (peer or {}).get("get_run")
    pp = (peer or {}).get("create_run")
    return [
        Target(TITLE, "GET /v1/runs/{id}: requests/s", rate(g["requests_per_s"]), f"≥ {TARGET_GET_PER_S:,} req/s",
               g["requests_per_s"] >= TARGET_GET_PER_S,
               peer=rate(pg["requests_per_s"]) if pg else "",
               ratio=ratio(g["requests_per_s"], pg and pg["requests_per_s"], True)),
        Target(TITLE, "GET /v1/runs/{id}: p99", ms(p99(g), 2), f"≤ {TARGET_GET_P99_MS} ms",
               p99(g) is not None and p99(g) <= TARGET_GET_P99_MS,
               peer=ms(p99(pg), 2) if pg else "",
               ratio=ratio(p99(g), pg and p99(pg), False)),
        Target(TITLE, "POST /v1/runs (accept): requests/s", rate(p["requests_per_s"]), "", None,
               peer=rate(pp["requests_per_s"]) if pp else "",
               ratio=ratio(p["requests_per_s"], pp and pp["requests_per_s"], True)),
    ]


def section(result, charts):
    ours = result["crewship"]
    peer, peer_result = peer_figures("api_load")
    label = (peer_result or {}).get("peer", "LangGraph")
    rows = ["| server | request | requests | req/s | p50 / p90 / p99 | non-2xx | socket errors | ours ÷ peer's |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    rates, gets, posts = {}, {}, {}

    def row(name, request, fig, vs=None):
        versus = []
        if vs and vs["requests_per_s"] and fig["requests_per_s"]:
            versus.append(f"req/s {fig['requests_per_s'] / vs['requests_per_s']:.2f}×")
        if vs and p99(vs) and p99(fig):
            versus.append(f"p99 {p99(fig) / p99(vs):.2f}×")
        rows.append(f"| {name} | {request} | {fig['requests']:,} | {fig['requests_per_s']:,.0f} "
                    f"| {wrk.latency_text(fig)} | {fig['non_2xx']} "
                    f"| {fig['socket_errors']} | {', '.join(versus) or '—'} |")

    pg, pp = (peer or {}).get("get_run"), (peer or {}).get("create_run")
    row("Crewship", "`GET /v1/runs/{id}`", ours["get_run"], pg)
    rates["Crewship GET"], gets["Crewship"] = ours["get_run"]["requests_per_s"], ours["get_run"]["latency_ms"]
    if pg:
        row(label, "`GET /threads/{tid}/runs/{rid}`", pg)
        rates["LangGraph GET"], gets["LangGraph"] = pg["requests_per_s"], pg["latency_ms"]
    row("Crewship", "`POST /v1/runs` (202)", ours["create_run"], pp)
    rates["Crewship POST"], posts["Crewship"] = ours["create_run"]["requests_per_s"], ours["create_run"]["latency_ms"]
    if pp:
        row(label, "`POST /runs` (200)", pp)
        rates["LangGraph POST"], posts["LangGraph"] = pp["requests_per_s"], pp["latency_ms"]
    g = ours["get_run"]
    return f"""wrk {g['tool'].split()[-1]} on 127.0.0.1, `-t{g['threads']} -c{g['connections']} -d{g['duration_s']}s --latency`, against the real
server with its defaults (SQLite store, examples/hello deployed). The GET reads one finished run; every
request carries the admin key, which the server looks up on every request. The POST creates a run of
`examples/hello` per request: the figure is the accept (202, the run stored and queued), not its
execution; the runs it creates queue behind it and the server is stopped with them. Unmeasured GETs come
first ({g.get('warm_up_requests', 0):,} here; up to {wrk.WARM_UP_REQUESTS:,} or {wrk.WARM_UP_MAX_S} s: the JVM compiles the path), and the peer
gets the same. The peer, measured by
`bench/peer_langgraph.py` with the same wrk parameters, answers its dev server's routes without any key.
Targets (issue 7): ≥ {TARGET_GET_PER_S:,} GET/s with p99 ≤ {TARGET_GET_P99_MS} ms.

{chr(10).join(rows)}

{charts.bars("api_load_requests_per_s", "Requests per second under wrk", rates, "req/s")}
{charts.percentiles("api_load_get_latency", "GET one run: latency under wrk", gets)}
{charts.percentiles("api_load_create_latency", "Create a run: latency under wrk", posts)}"""


if __name__ == "__main__":
    standalone("api_load", run, __doc__.splitlines()[0])

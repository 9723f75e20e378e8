#!/usr/bin/env python3
"""Item 2, throughput: a burst of trivial runs submitted at once (completed runs per second, queue wait),
and 40 light runs one after another.

    python3 bench/throughput.py [--quick] [--runs N] [--concurrency C] [--max-concurrent-runs M]

burst: N runs of examples/hello (1,000; quick 100) are created by C client connections at once (threads,
each with its own keep-alive HTTP connection). `seconds` is from the first request sent to the last run's
`finished_at`; `runs_per_s` = N / seconds; queue wait per run = `started_at` − `created_at` (the server's
own timestamps: created when the POST was accepted, started when the dispatcher claimed it). The client
learns that the burst is over by polling the list endpoint (`status=pending` / `status=running`,
`limit=1`), never run by run, and the figures come from the runs' timestamps, not from that polling.

sequential: 40 runs, each created only after the previous one's terminal event reached the client (it
follows each run's SSE stream, so no polling interval is counted); total wall seconds on the client.

The server runs with its defaults (process executor, warm starts, `--max-concurrent-runs` 2 × cores,
at least 4) unless `--max-concurrent-runs` is given; the result records the value."""
import argparse
import os
import pathlib
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Client, EventFollower, Server, Target, crew_copy, parse_ts, peer_figures, submit_burst, summary, write_result  # noqa: E402

TITLE = "2. Throughput"
RUNS, QUICK_RUNS = 1000, 100
CONCURRENCY = 32
SEQUENTIAL = 40
TARGET_RUNS_PER_S, TARGET_SEQUENTIAL_S = 200, 0.5
BURST_TIMEOUT_S = 600


def default_max_concurrent_runs():
    """The server's documented default (docs/api.md, "Limits"): twice the cores, at least 4."""
    return max(4, 2 * os.cpu_count())


def run(quick, runs=None, concurrency=CONCURRENCY, max_concurrent_runs=None):
    n = runs or (QUICK_RUNS if quick else RUNS)
    tmp = tempfile.mkdtemp(prefix="cs-bench-")
    os.chmod(tmp, 0o711)  # the runs' uids pass through it to the data dir
    extra = ("--max-concurrent-runs", str(max_concurrent_runs)) if max_concurrent_runs else ()
    srv = Server(extra=extra).start()
    try:
        dep = srv.deploy("bench-hello", crew_copy("hello", pathlib.Path(tmp)))["id"]
        for _ in range(5):  # the first run starts the warm parent; a few more let it get ready
            final = srv.run(dep, {"topic": "warm-up"})
            assert final["status"] == "succeeded", final
        sequential = measure_sequential(srv, dep, SEQUENTIAL)
        burst = measure_burst(srv, dep, n, concurrency)
        return {"crew": "examples/hello", "crewship": {"burst": burst, "sequential": sequential},
                "server": {"executor": "process (warm starts)",
                           "max_concurrent_runs": max_concurrent_runs or default_max_concurrent_runs(),
                           "max_concurrent_runs_flag": "--max-concurrent-runs"}}
    finally:
        srv.stop()
        shutil.rmtree(srv.data, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


def measure_sequential(srv, dep, n):
    client = Client(srv)
    try:
        per_run, ids = [], []
        t0 = time.perf_counter()
        for i in range(n):
            started = time.perf_counter()
            run_id = client.create_run(dep, i)["id"]
            follower = EventFollower(srv, run_id)
            follower.run()  # on this thread: the run is followed to the end of its stream before the next starts
            terminal = follower.received[-1][1] if follower.received else follower.error
            if not follower.complete or terminal != "run.completed":
                raise AssertionError(f"sequential run {run_id} ended with {terminal}")
            per_run.append((time.perf_counter() - started) * 1000)
            ids.append(run_id)
        seconds = time.perf_counter() - t0
        return {"runs": n, "seconds": round(seconds, 3), "per_run_ms": summary(per_run)}
    finally:
        client.close()


def measure_burst(srv, dep, n, concurrency):
    created, t0, submitted_s = submit_burst(n, concurrency, lambda: Client(srv),
                                            lambda client, i: client.create_run(dep, i)["id"])
    wait_until_idle(srv, dep)
    runs = list_runs(srv, dep, set(created))
    if len(runs) != n:
        raise AssertionError(f"{n} runs created, {len(runs)} listed")
    failed = [r for r in runs if r["status"] != "succeeded"]
    if failed:
        raise AssertionError(f"{len(failed)} burst runs did not succeed, the first: {failed[0]}")
    last_finished = max(parse_ts(r["finished_at"]) for r in runs)
    seconds = last_finished - t0
    queue_wait = [(parse_ts(r["started_at"]) - parse_ts(r["created_at"])) * 1000 for r in runs]
    run_time = [(parse_ts(r["finished_at"]) - parse_ts(r["started_at"])) * 1000 for r in runs]
    return {"runs": n, "submit_concurrency": concurrency, "seconds": round(seconds, 3),
            "runs_per_s": round(n / seconds, 1), "queue_wait_ms": summary(queue_wait),
            "submit_seconds": round(submitted_s, 3), "started_to_finished_ms": summary(run_time)}


def wait_until_idle(srv, dep):
    """Polls the list endpoint (two small requests per round) until no run of the deployment is pending or running."""
    client = Client(srv)
    try:
        deadline = time.time() + BURST_TIMEOUT_S
        while time.time() < deadline:
            busy = False
            for status in ("pending", "running"):
                code, page = client.call("GET", f"/v1/runs?deployment_id={dep}&status={status}&limit=1")
                assert code == 200, (code, page)
                busy = busy or bool(page["data"])
            if not busy:
                return
            time.sleep(0.05)
        raise AssertionError(f"burst runs still unfinished after {BURST_TIMEOUT_S} s")
    finally:
        client.close()


def list_runs(srv, dep, ids):
    """Every run of the burst, read back through the list endpoint's pages (100 per page)."""
    client = Client(srv)
    try:
        found, cursor = [], None
        while True:
            path = f"/v1/runs?deployment_id={dep}&limit=100" + (f"&starting_after={cursor}" if cursor else "")
            code, page = client.call("GET", path)
            assert code == 200, (code, page)
            found.extend(r for r in page["data"] if r["id"] in ids)
            if not page["has_more"]:
                return found
            cursor = page["next_cursor"]
    finally:
        client.close()



def seconds_text(value):
    return "—" if value is None else f"{value:,.2f} s"


def speedup(factor):
    """How much faster we are than the peer, given ours ÷ theirs in speed (> 1: we are faster)."""
    return f"{factor:.1f}× faster" if factor >= 1 else f"{1 / factor:.1f}× slower"


def targets(result):
    ours = result["crewship"]
    peer, _ = peer_figures("throughput")
    rate = ours["burst"]["runs_per_s"]
    peer_rate = peer["burst"]["runs_per_s"] if peer and "burst" in peer else None
    seq = ours["sequential"]["seconds"]
    peer_seq = peer["sequential"]["seconds"] if peer and "sequential" in peer else None
    return [
        Target(TITLE, f"burst of {ours['burst']['runs']:,} runs: completed runs/s", f"{rate:,.1f} /s",
               f"≥ {TARGET_RUNS_PER_S} /s", rate >= TARGET_RUNS_PER_S,
               peer=f"{peer_rate:,.1f} /s" if peer_rate else "", ratio=speedup(rate / peer_rate) if peer_rate else ""),
        Target(TITLE, f"{ours['sequential']['runs']} light runs one after another", seconds_text(seq),
               f"≤ {TARGET_SEQUENTIAL_S} s", seq <= TARGET_SEQUENTIAL_S,
               peer=seconds_text(peer_seq) if peer_seq is not None else "", ratio=speedup(peer_seq / seq) if peer_seq else ""),
    ]


def section(result, charts):
    ours = result["crewship"]
    peer, peer_result = peer_figures("throughput")
    label = (peer_result or {}).get("peer", "LangGraph")
    if isinstance(label, dict):
        label = " ".join(str(v) for v in label.values())
    rows = ["| | runs | client connections | seconds | runs/s | queue wait p50 / p90 / p99 | 40 one after another | per run p50 / p99 |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    rates, waits = {}, {}

    def row(name, fig):
        b, s = fig["burst"], fig["sequential"]
        q, p = b["queue_wait_ms"], s["per_run_ms"]
        rows.append(f"| {name} | {b['runs']:,} | {b['submit_concurrency']} | {b['seconds']:,.2f} | {b['runs_per_s']:,.1f} "
                    f"| {q['p50']:,.0f} / {q['p90']:,.0f} / {q['p99']:,.0f} ms | {s['seconds']:,.2f} s "
                    f"| {p['p50']:,.1f} / {p['p99']:,.1f} ms |")
        rates[name], waits[name] = b["runs_per_s"], q

    row("Crewship", ours)
    if peer:
        row(label if str(label).lower().startswith("langgraph") else f"LangGraph ({label})", peer)
    server = result.get("server", {})
    return f"""A burst of trivial runs (`examples/hello`) created at once by {ours['burst']['submit_concurrency']} client
connections: `seconds` runs from the first request sent to the last run's `finished_at`, runs/s is runs ÷
seconds, and the queue wait of a run is its `started_at` − `created_at` (the server's own timestamps).
Then 40 runs one after another, each created only after the client received the previous one's terminal
event over SSE (total wall seconds on the client). The server runs with its defaults: the process
executor with warm starts and `--max-concurrent-runs` {server.get('max_concurrent_runs', '?')}, every run in its own
bubblewrap sandbox. Targets (issue 7): ≥ {TARGET_RUNS_PER_S} runs/s on this 2-core machine; 40 sequential runs in
≤ {TARGET_SEQUENTIAL_S} s.

{chr(10).join(rows)}

{charts.bars("throughput_runs_per_s", "Burst: completed runs per second", rates, "runs/s")}
{charts.percentiles("throughput_queue_wait", "Burst: queue wait (started − created)", waits)}"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a short smoke run (CI), figures not representative")
    ap.add_argument("--runs", type=int, help=f"runs in the burst (default {RUNS}, quick {QUICK_RUNS})")
    ap.add_argument("--concurrency", type=int, default=CONCURRENCY, help="client connections submitting the burst")
    ap.add_argument("--max-concurrent-runs", type=int, help="the server's --max-concurrent-runs (default: its own)")
    args = ap.parse_args()
    return write_result("throughput", run(args.quick, args.runs, args.concurrency, args.max_concurrent_runs), args.quick)


if __name__ == "__main__":
    main()

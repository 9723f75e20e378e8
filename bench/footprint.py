#!/usr/bin/env python3
"""Item 6, footprint: how long `crewship server` takes from spawn to ready, and how much memory the idle
server holds.

    python3 bench/footprint.py [--quick] [--starts N]

Each start spawns `bin/crewship server` on a free loopback port and polls `GET /health` every 5 ms until it
answers 200: start → ready is the client's wall time from the spawn to that answer (the launcher script,
JVM start, database migration, recovery, HTTP). The server logs its own time since JVM start when it is
ready (`started in … ms`), reported separately, and so is the CPU time the JVM used up to ready (utime +
stime in /proc/<pid>/stat): on a busy machine wall time mostly measures the neighbours, CPU time much less. Memory is the resident set of the server JVM (`VmRSS` in
/proc/<pid>/status; bin/crewship execs the JVM, so the spawned pid is the JVM's): once 2 s after ready
(idle), and again after 5 runs of examples/hello and 2 s of quiet. The warm parent the runs start is a
separate sandboxed process and is not counted in the server's RSS; its RSS is reported beside it.

The first start is on an empty data dir (it creates the database and the admin key) and is reported on
its own; the others restart the server on that same data dir, which holds a deployment, as a server
restarts in operation. The server runs as bin/crewship starts it: default JVM settings and the server's
class cache (docs/operations.md, "Start-up"; the first start after a build writes it, before this
module's first timed start)."""
import argparse
import os
import pathlib
import re
import shutil
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Server, Target, crew_copy, ms, summary, write_result  # noqa: E402

TITLE = "6. Footprint"
STARTS, QUICK_STARTS = 10, 3
RUNS_AFTER_START = 5
SETTLE_S = 2.0
TARGET_READY_MS, TARGET_RSS_MB = 1000, 150
STARTED_IN = re.compile(r"started in (\d+) ms")


def run(quick, starts=None):
    n = starts or (QUICK_STARTS if quick else STARTS)
    tmp = tempfile.mkdtemp(prefix="cs-bench-")
    os.chmod(tmp, 0o711)  # the runs' uids pass through it to the data dir
    data = tempfile.mkdtemp(prefix="cs-bench-data-")
    try:
        # The first server start after a build writes the class cache (docs/operations.md, "Start-up"):
        # a one-off cost per build, not a start's, so it happens here, untimed.
        cache_writer = Server()
        try:
            cache_writer.start()
        finally:
            cache_writer.stop()
            shutil.rmtree(cache_writer.data, ignore_errors=True)
        first = start_once(data)
        srv = first["server"]
        try:
            dep = srv.deploy("bench-hello", crew_copy("hello", pathlib.Path(tmp)))["id"]
        finally:
            srv.stop()
        ready, cpu, jvm, idle, after, parents = [], [], [], [], [], []
        for _ in range(n):
            s = start_once(data)
            srv = s["server"]
            try:
                ready.append(s["ready_ms"])
                cpu.append(s["cpu_s"] * 1000)
                if s["jvm_ready_ms"] is not None:
                    jvm.append(s["jvm_ready_ms"])
                time.sleep(SETTLE_S)
                idle.append(rss_mb(srv.proc.pid))
                for i in range(RUNS_AFTER_START):
                    final = srv.run(dep, {"topic": f"footprint {i}"})
                    assert final["status"] == "succeeded", final
                time.sleep(SETTLE_S)
                after.append(rss_mb(srv.proc.pid))
                parents.append(sum(rss_mb(pid) for pid in descendants(srv.proc.pid)))
            finally:
                srv.stop()
        return {"starts": n, "jvm_options": "bin/crewship defaults (server mode, with its class cache)",
                "first_start": {"ready_ms": round(first["ready_ms"], 1), "jvm_ready_ms": first["jvm_ready_ms"],
                                "idle_rss_mb": first["idle_rss_mb"]},
                "start_to_ready_ms": summary(ready), "jvm_start_to_ready_ms": summary(jvm), "cpu_to_ready_ms": summary(cpu),
                "idle_rss_mb": summary(idle), f"rss_after_{RUNS_AFTER_START}_runs_mb": summary(after),
                "warm_parent_rss_mb": summary(parents)}
    finally:
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


def start_once(data):
    """Spawns the server on the data dir and times it to the first `/health` 200 (polled every 5 ms, once
    the server has said which port it bound)."""
    srv = Server(data_dir=data)
    log_path = os.path.join(data, "server.log")
    log_size = os.path.getsize(log_path) if os.path.exists(log_path) else 0
    t0 = time.perf_counter()
    try:
        srv.start(timeout=120, poll_every=0.005)
        ready_ms = (time.perf_counter() - t0) * 1000
        cpu_s = cpu_seconds(srv.proc.pid)
        result = {"server": srv, "ready_ms": ready_ms, "cpu_s": cpu_s, "jvm_ready_ms": jvm_ready_ms(data, log_size)}
        if log_size == 0:  # the first start: its idle RSS too, then the caller deploys on it
            time.sleep(SETTLE_S)
            result["idle_rss_mb"] = rss_mb(srv.proc.pid)
        return result
    except BaseException:
        if srv.proc and srv.proc.poll() is None:
            os.killpg(srv.proc.pid, signal.SIGKILL)
            srv.proc.wait()
        raise


def jvm_ready_ms(data, offset):
    """The server's own `started in … ms` (time since JVM start) from this start's part of the log."""
    with open(os.path.join(data, "server.log"), errors="replace") as f:
        f.seek(offset)
        for _ in range(200):  # the line is written just before the HTTP port answers; allow a moment
            found = STARTED_IN.search(f.read())
            if found:
                return int(found.group(1))
            time.sleep(0.01)
    return None


def cpu_seconds(pid):
    """CPU time (user + system, every thread: the JIT compilers too) the process has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except FileNotFoundError:
        return 0.0
    return 0.0


def descendants(pid):
    """Every process below pid (the warm parents and their sandboxes), from /proc."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def targets(result):
    ready = result["start_to_ready_ms"]["p50"]
    idle = result["idle_rss_mb"]["p50"]
    return [Target(TITLE, "server start → ready p50", ms(ready, 0), f"≤ {TARGET_READY_MS / 1000:g} s", ready <= TARGET_READY_MS),
            Target(TITLE, "idle server RSS p50", f"{idle:,.0f} MB", f"≤ {TARGET_RSS_MB} MB", idle <= TARGET_RSS_MB)]


def section(result, charts):
    after_key = f"rss_after_{RUNS_AFTER_START}_runs_mb"
    r, j, i, a, p = (result["start_to_ready_ms"], result["jvm_start_to_ready_ms"], result["idle_rss_mb"],
                     result[after_key], result["warm_parent_rss_mb"])
    first = result["first_start"]

    def jvm_cell(s):
        return "not logged" if not s.get("n") else f"{ms(s['p50'], 0)} / {ms(s['p90'], 0)} / {ms(s['max'], 0)}"

    def cpu_cell(s):
        return "not measured" if not s.get("n") else f"{ms(s['p50'], 0)} / {ms(s['p90'], 0)} / {ms(s['max'], 0)}"

    rows = ["| measure | p50 / p90 / max |", "| --- | --- |",
            f"| spawn of `bin/crewship server` → `/health` 200 | {ms(r['p50'], 0)} / {ms(r['p90'], 0)} / {ms(r['max'], 0)} |",
            f"| of which the JVM's own start → ready (server log) | {jvm_cell(j)} |",
            f"| CPU time used by then (all threads, JIT compilers included) | {cpu_cell(result.get('cpu_to_ready_ms', {}))} |",
            f"| server RSS, idle after start | {i['p50']:,.0f} / {i['p90']:,.0f} / {i['max']:,.0f} MB |",
            f"| server RSS, after {RUNS_AFTER_START} runs | {a['p50']:,.0f} / {a['p90']:,.0f} / {a['max']:,.0f} MB |",
            f"| warm parent(s) of those runs (separate sandboxed processes) | {p['p50']:,.0f} / {p['p90']:,.0f} / {p['max']:,.0f} MB |"]
    first_jvm = "" if first.get("jvm_ready_ms") is None else f" ({first['jvm_ready_ms']:,} ms inside the JVM)"
    return f"""The server is started {result['starts']} times on a data dir holding one deployment (as a server restarts in
operation) as `bin/crewship` starts it (default JVM settings, the server's class cache); start → ready is the client's wall time from spawning
`bin/crewship server` to the first `/health` 200 (polled every 5 ms), and RSS is the server JVM's `VmRSS`.
The very first start, on an empty data dir (it creates the database, the secret key and the admin key),
took {ms(first['ready_ms'], 0)}{first_jvm} with {first['idle_rss_mb']:,.0f} MB idle. Targets (issue 7):
≤ {TARGET_READY_MS / 1000:g} s to ready, ≤ {TARGET_RSS_MB} MB idle RSS.

{chr(10).join(rows)}

{charts.percentiles("footprint_ready", "Server start → ready", {"Crewship": r})}
{charts.bars("footprint_rss", "Server RSS (p50)", {"idle after start": i["p50"], f"after {RUNS_AFTER_START} runs": a["p50"]}, "MB")}"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a short smoke run (CI), figures not representative")
    ap.add_argument("--starts", type=int, help=f"server starts (default {STARTS}, quick {QUICK_STARTS})")
    args = ap.parse_args()
    return write_result("footprint", run(args.quick, args.starts), args.quick)


if __name__ == "__main__":
    main()

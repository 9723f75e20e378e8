#!/usr/bin/env python3
"""CLI start-up (issue 4): wall time of `bin/crewship runs list` (a real call to a running server)
and of `bin/crewship --version` (no server), as a user's shell sees it: from spawning bin/crewship to
its exit, launcher script and JVM included.

    python3 bench/cli_startup.py [--quick] [--runs 30] [--url URL --api-key KEY]

Without --url it starts its own server (a temporary data dir), deploys examples/hello and makes a few
runs, so `runs list` prints a real table. The first commands are warm-ups: they create the start-up
cache bin/crewship keeps beside the jar (an AOT cache on JDK 25+, else an AppCDS archive;
docs/operations.md). Also records the CPU time (user + sys) each command used, and the machine's load
average, because on a machine shared with other work the wall time includes waiting for a core."""
import argparse
import os
import pathlib
import resource
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Server, Target, crew_copy, ms, summary, write_result  # noqa: E402
from crewship_e2e import CLI  # noqa: E402

TITLE = "CLI start-up (issue 4)"
TARGET_MS = 300
WARM_UPS = 3


def timed(args, env):
    """(wall ms, cpu ms) of one command, which must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run([CLI, *args], env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    wall = (time.perf_counter() - t0) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        raise RuntimeError(f"crewship {' '.join(args)} failed ({p.returncode}): {p.stderr.strip()}")
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
    return wall, cpu


def measure(args, env, n):
    for _ in range(WARM_UPS):
        timed(args, env)
    load_before = os.getloadavg()[0]
    walls, cpus = [], []
    for _ in range(n):
        wall, cpu = timed(args, env)
        walls.append(wall)
        cpus.append(cpu)
    return {"command": "crewship " + " ".join(args), "runs": n, "wall_ms": summary(walls), "cpu_ms": summary(cpus),
            "load_average_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)]}


def run(quick, runs=30, url=None, key=None):
    n = 5 if quick else runs
    srv = tmp = None
    try:
        if not url:
            tmp = tempfile.mkdtemp(prefix="cs-bench-")
            os.chmod(tmp, 0o711)
            srv = Server().start()
            dep = srv.deploy("bench-cli", crew_copy("hello", pathlib.Path(tmp)))["id"]
            for i in range(5):
                srv.run(dep, {"topic": f"bench {i}"})
            url, key = srv.url, srv.key
        env = {k: v for k, v in os.environ.items() if not k.startswith("CREWSHIP_")}
        env.update(CREWSHIP_URL=url, CREWSHIP_API_KEY=key)
        return {"runs": n, "target_p50_ms": TARGET_MS,
                "measurements": [measure(["runs", "list"], env, n), measure(["--version"], env, n)]}
    finally:
        if srv:
            srv.stop()
            shutil.rmtree(srv.data, ignore_errors=True)
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def targets(result):
    return [Target("Issue 4", f"CLI start-up: `{m['command']}` wall p50", ms(m["wall_ms"]["p50"], 0), f"≤ {TARGET_MS} ms",
                   m["wall_ms"]["p50"] <= TARGET_MS) for m in result["measurements"]]


def section(result, charts):
    rows = ["| command | wall p50 | wall p90 | CPU p50 | load avg (1 min) | target met |", "| --- | --- | --- | --- | --- | --- |"]
    for m in result["measurements"]:
        met = "yes" if m["wall_ms"]["p50"] <= TARGET_MS else "**missed**"
        rows.append(f"| `{m['command']}` | {ms(m['wall_ms']['p50'], 0)} | {ms(m['wall_ms']['p90'], 0)} | {ms(m['cpu_ms']['p50'], 0)}"
                    f" | {m['load_average_1m'][0]}–{m['load_average_1m'][1]} | {met} |")
    return f"""Wall time from spawning `bin/crewship` to its exit (launcher script and JVM included, class data sharing
cache warm), {result['runs']} runs each after {WARM_UPS} warm-ups; CPU is user + sys of the process tree.
Target: p50 wall ≤ {TARGET_MS} ms. Where a command's time goes, and what keeps it short (a client-only
jar, an AOT cache, JSON without data binding, native reflection accessors, JDK set-up on a second thread):
docs/operations.md, "CLI start-up".

{chr(10).join(rows)}"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="5 runs per command (CI smoke)")
    ap.add_argument("--runs", type=int, default=30, help="measured runs per command (at least 20)")
    ap.add_argument("--url", help="a running server (default: start one)")
    ap.add_argument("--api-key", help="its API key (with --url)")
    args = ap.parse_args()
    if args.runs < 20 and not args.quick:
        ap.error("--runs must be at least 20")
    write_result("cli_startup", run(args.quick, args.runs, args.url, args.api_key or os.environ.get("CREWSHIP_API_KEY")),
                 args.quick)


if __name__ == "__main__":
    main()

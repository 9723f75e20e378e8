#!/usr/bin/env python3
"""CLI start-up benchmark: wall time of `bin/crewship runs list` (a real call to a running server)
and of `bin/crewship --version` (no server), as a user's shell sees it: from spawning bin/crewship to
its exit, launcher script and JVM included.

    python3 bench/cli_startup.py [--runs 30] [--url URL --api-key KEY]

Without --url it starts its own server (crewship_e2e.Server, a temporary data dir), deploys
examples/hello and makes a few runs, so `runs list` prints a real table. The first commands are
warm-ups: they create the start-up cache bin/crewship keeps beside the jar (an AOT cache on
JDK 25+, else an AppCDS archive; docs/operations.md). Also records
the CPU time (user + sys) each command used, and the machine's load average, because on a machine
shared with other work the wall time includes waiting for a core. Writes
bench/results/cli_startup.json and the "CLI start-up" section of BENCHMARKS.md. A benchmark, not a
test: it asserts nothing."""
import argparse
import datetime as dt
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from crewship_e2e import CLI, Server, crew_copy  # noqa: E402

TARGET_MS = 300
WARM_UPS = 3
REPORT = os.path.join(ROOT, "BENCHMARKS.md")
BEGIN, END = "<!-- cli_startup:begin -->", "<!-- cli_startup:end -->"


def percentile(values, p):
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def summary(values):
    return {"p50": round(percentile(values, 50), 1), "p90": round(percentile(values, 90), 1),
            "min": round(min(values), 1), "max": round(max(values), 1)}


def machine():
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    java = subprocess.run(["bash", "-c", '. scripts/lib/jdk.sh && crewship_select_jdk >/dev/null && "$JAVA_HOME/bin/java" -version'],
                          cwd=ROOT, capture_output=True, text=True).stderr.splitlines()
    return {"cores": os.cpu_count(), "kernel": platform.release(), "commit": commit,
            "java": java[0] if java else None}


def timed(args, env):
    """(wall ms, cpu ms) of one command, which must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run([CLI, *args], env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    wall = (time.perf_counter() - t0) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        raise SystemExit(f"crewship {' '.join(args)} failed ({p.returncode}): {p.stderr.strip()}")
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


def write_report(result):
    lines = [BEGIN, "", "## CLI start-up", "",
             "`python3 bench/cli_startup.py`: wall time from spawning `bin/crewship` to its exit (launcher script and JVM",
             f"included, start-up cache warm), {result['runs']} runs each after {WARM_UPS} warm-ups; CPU is user + sys of the process tree.",
             f"Target: p50 wall ≤ {TARGET_MS} ms. Last run {result['when']} at {result['machine']['commit']} on {result['machine']['cores']} cores",
             f"({result['machine']['java']}).", "",
             "| command | wall p50 | wall p90 | CPU p50 | load avg (1 min) | target met |", "| --- | --- | --- | --- | --- | --- |"]
    for m in result["measurements"]:
        met = "yes" if m["wall_ms"]["p50"] <= TARGET_MS else "no"
        lines.append(f"| `{m['command']}` | {m['wall_ms']['p50']:.0f} ms | {m['wall_ms']['p90']:.0f} ms | {m['cpu_ms']['p50']:.0f} ms"
                     f" | {m['load_average_1m'][0]}–{m['load_average_1m'][1]} | {met} |")
    lines += ["", END]
    section = "\n".join(lines)
    text = open(REPORT).read() if os.path.exists(REPORT) else "# Benchmarks\n"
    if BEGIN in text and END in text:
        text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: section, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    with open(REPORT, "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30, help="measured runs per command (at least 20)")
    ap.add_argument("--url", help="a running server (default: start one)")
    ap.add_argument("--api-key", help="its API key (with --url)")
    args = ap.parse_args()
    if args.runs < 20:
        ap.error("--runs must be at least 20")
    srv = tmp = None
    try:
        if args.url:
            url, key = args.url, args.api_key or os.environ.get("CREWSHIP_API_KEY")
        else:
            tmp = tempfile.mkdtemp(prefix="cs-bench-")
            srv = Server().start()
            import pathlib
            dep = srv.deploy("bench-cli", crew_copy("hello", pathlib.Path(tmp)))["id"]
            for i in range(5):
                srv.run(dep, {"topic": f"bench {i}"})
            url, key = srv.url, srv.key
        env = {k: v for k, v in os.environ.items() if not k.startswith("CREWSHIP_")}
        env.update(CREWSHIP_URL=url, CREWSHIP_API_KEY=key)
        measurements = [measure(["runs", "list"], env, args.runs), measure(["--version"], env, args.runs)]
        result = {"benchmark": "cli_startup", "runs": args.runs, "target_p50_ms": TARGET_MS,
                  "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "machine": machine(),
                  "measurements": measurements}
        os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
        out = os.path.join(HERE, "results", "cli_startup.json")
        with open(out, "w") as f:
            json.dump(result, f, indent=2)
        write_report(result)
        print(json.dumps(result, indent=2))
        print(f"wrote {out} and the CLI start-up section of {REPORT}")
    finally:
        if srv:
            srv.stop()
            shutil.rmtree(srv.data, ignore_errors=True)
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Runs a suite (the benchmarks, or the reliability checks) in one invocation, writes each result file,
then regenerates BENCHMARKS.md. scripts/bench.sh and scripts/reliability.sh call it after installing
what it needs.

    python3 bench/run.py bench|reliability [--quick] [--only NAME[,NAME…]]

Every result written by one invocation carries the same session, which is how the report shows ours
and the peer's figures as measured side by side. A suite that fails is reported and the others still
run; the exit status is non-zero if any failed (CI runs the quick modes as a smoke test)."""
import argparse
import datetime as dt
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report  # noqa: E402
from common import write_result  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("suite", choices=("bench", "reliability"))
    ap.add_argument("--quick", action="store_true", help="small counts and short durations (CI smoke)")
    ap.add_argument("--only", help="comma-separated result names, e.g. run_overhead,throughput")
    args = ap.parse_args()
    entries = report.BENCHMARKS if args.suite == "bench" else report.RELIABILITY
    only = set(args.only.split(",")) if args.only else None
    os.environ.setdefault("CREWSHIP_BENCH_SESSION", dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
    failed = []
    for name, path in entries:
        if only is not None and name not in only:
            continue
        module = report.load_module(path)
        if not hasattr(module, "run"):
            continue  # measured on its own (e.g. cli_startup needs an idle machine), still in the report
        print(f"==> {name} ({module.TITLE}){' quick' if args.quick else ''}", flush=True)
        started = time.monotonic()
        try:
            write_result(name, module.run(args.quick), args.quick)
        except Exception:  # noqa: BLE001 — one suite's failure must not hide the others' figures
            traceback.print_exc()
            failed.append(name)
        print(f"    {name}: {time.monotonic() - started:.0f} s", flush=True)
    report.main(args.quick)
    if failed:
        print(f"error: failed: {', '.join(failed)}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()

"""Emits `bench.tick` events at a fixed rate for bench/event_fanout.py.

Input: `rate` (ticks per second), `seconds` (how long), `max_wait_s` (see below). Before the first
tick the crew waits until a file named `go` appears in its artifacts folder (the benchmark creates it
from the host, in `<data-dir>/runs/<run id>/artifacts/`, once every subscriber is connected) or
`max_wait_s` passed, and removes it so it is not collected. Each tick is
`{"i": <1-based index>, "emit_us": <wall-clock microseconds just before sdk.emit>}`; integers, so the
server's JSON renders them exactly. Ticks follow an absolute schedule (tick i at start + (i-1)/rate),
so a late tick does not shift the ones after it."""
import time

from crewship_runtime import sdk


def kickoff(inputs: dict):
    rate = float(inputs.get("rate") or 100)
    count = int(round(rate * float(inputs.get("seconds") or 10)))
    go = sdk.artifacts_dir() / "go"
    deadline = time.monotonic() + float(inputs.get("max_wait_s") or 0)
    while time.monotonic() < deadline and not go.exists():
        time.sleep(0.01)
    waited_for_go = go.exists()
    go.unlink(missing_ok=True)
    start_us = time.time_ns() // 1000
    late = 0
    for i in range(1, count + 1):
        due_us = start_us + int((i - 1) * 1_000_000 / rate)
        wait = (due_us - time.time_ns() // 1000) / 1e6
        if wait > 0:
            time.sleep(wait)
        else:
            late += 1
        sdk.emit("bench.tick", {"i": i, "emit_us": time.time_ns() // 1000})
    return {"ticks": count, "late": late, "started_on_go": waited_for_go}

"""Runs wrk (Debian's wrk 4.1.0, installed by scripts/lib/bench.sh) against one loopback URL and parses its
report into the api-load shape that bench/api_load.py (ours) and bench/peer_langgraph.py (the peer's) share:

    {"tool": "wrk 4.1.0", "threads": t, "connections": c, "duration_s": d, "requests": n,
     "requests_per_s": r, "latency_ms": {"p50": …, "p90": …, "p99": …}, "non_2xx": k, "socket_errors": e}

A small Lua script sets the method, headers and body (wrk's `-s`), and prints the request and error counts
and the latency percentiles in one machine-readable line from wrk's `done()` hook, so nothing is scraped
from the human-readable report. Only 127.0.0.1 is ever a target."""
import json
import os
import subprocess
import tempfile
import time
import urllib.parse

TOOL = "wrk 4.1.0"
# The same parameters for ours and the peer's (issue 7, item 3): 2 threads, 64 connections.
THREADS, CONNECTIONS = 2, 64
DURATION_S, QUICK_DURATION_S = 10, 3
# Unmeasured load first, the same for ours and the peer's, so the figure is of the steady state (the JVM
# has compiled the hot path, both servers have their connections open): until this many requests were
# answered, or for at most so long. Counted in requests, not seconds, so that a busy machine still warms up.
WARM_UP_REQUESTS, WARM_UP_MAX_S, QUICK_WARM_UP_MAX_S = 20_000, 30, 10
WARM_UP_STEP_S = 2


def warm_up(url, method="GET", headers=None, body=None, quick=False):
    """Loads `url` in short wrk runs until WARM_UP_REQUESTS were answered or the time is up; returns the count."""
    answered, deadline = 0, time.monotonic() + (QUICK_WARM_UP_MAX_S if quick else WARM_UP_MAX_S)
    while answered < WARM_UP_REQUESTS and time.monotonic() < deadline:
        answered += run(url, method, headers, body, duration_s=WARM_UP_STEP_S)["requests"]
    return answered

LUA = """
wrk.method = %(method)s
wrk.body = %(body)s
%(headers)s
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK_RESULT {\\"requests\\": %%d, \\"duration_us\\": %%d, \\"non_2xx\\": %%d, " ..
    "\\"connect\\": %%d, \\"read\\": %%d, \\"write\\": %%d, \\"timeout\\": %%d, " ..
    "\\"p50_us\\": %%d, \\"p90_us\\": %%d, \\"p99_us\\": %%d, \\"max_us\\": %%d, \\"mean_us\\": %%f}\\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
"""


def lua_string(text):
    """A Lua string literal: JSON's escapes of ASCII text (\\", \\\\, \\n) are Lua's too."""
    if text is None:
        return "nil"
    if not text.isascii():
        raise ValueError("wrk scripts here carry ASCII only")
    return json.dumps(text)


def script(method, headers, body):
    lines = "\n".join(f"wrk.headers[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items())
    return LUA % {"method": lua_string(method), "body": lua_string(body), "headers": lines}


def run(url, method="GET", headers=None, body=None, quick=False, duration_s=None,
        threads=THREADS, connections=CONNECTIONS):
    """Loads `url` for the duration and returns the shared api-load shape. Raises if wrk itself fails."""
    host = urllib.parse.urlsplit(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"load goes to loopback only, not {host}")
    duration = duration_s or (QUICK_DURATION_S if quick else DURATION_S)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script(method, dict(headers or {}), body))
        lua = f.name
    try:
        proc = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency",
                               "--timeout", "10s", "-s", lua, url],
                              capture_output=True, text=True, timeout=duration + 60)
    finally:
        os.unlink(lua)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("WRK_RESULT ")), None)
    if proc.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}")
    return parse(json.loads(line[len("WRK_RESULT "):]), threads, connections, duration)


def parse(raw, threads, connections, duration):
    seconds = raw["duration_us"] / 1e6
    # No request answered within the duration (every one slower than it) is a figure too: 0 req/s and no
    # latency, rather than a failed benchmark.
    latency = {} if raw["requests"] == 0 else {
        "p50": round(raw["p50_us"] / 1000, 3), "p90": round(raw["p90_us"] / 1000, 3),
        "p99": round(raw["p99_us"] / 1000, 3), "mean": round(raw["mean_us"] / 1000, 3),
        "max": round(raw["max_us"] / 1000, 3)}
    return {"tool": TOOL, "threads": threads, "connections": connections, "duration_s": duration,
            "requests": raw["requests"], "requests_per_s": round(raw["requests"] / seconds, 1),
            "latency_ms": latency,
            "non_2xx": raw["non_2xx"],
            "socket_errors": raw["connect"] + raw["read"] + raw["write"] + raw["timeout"],
            "socket_errors_detail": {k: raw[k] for k in ("connect", "read", "write", "timeout")}}


def latency_text(figure):
    """"p50 / p90 / p99" of a result, in ms ("—" when no request was answered)."""
    lat = figure["latency_ms"]
    return " / ".join(f"{lat[p]:,.2f} ms" if p in lat else "—" for p in ("p50", "p90", "p99"))

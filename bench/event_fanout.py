#!/usr/bin/env python3
"""Item 4, event fan-out: many concurrent SSE subscribers to one run that emits 100 events/s, with the
delivery latency of every event to every subscriber and the server's memory meanwhile.

    python3 bench/event_fanout.py [--quick] [--subscribers N] [--rate R] [--seconds S]

The run is bench/crews/ticker: it waits until a start time the benchmark picks (so every subscriber can
connect first), then emits `bench.tick` events at a fixed rate, each carrying its emit time
(`emit_us`, wall clock, taken right before `sdk.emit`). The subscribers (bench/fanout_client.py: raw
non-blocking sockets, one epoll loop per process, 2 processes) each follow
`GET /v1/runs/{id}/events` with `Accept: text/event-stream` to the terminal event and check they got
every event exactly once and in order. Delivery latency = the subscriber's receive time − the event's
`emit_us`: end to end, from the crew's call through the runtime channel, the store and the fan-out to
the subscriber's socket, which is what a watcher experiences. (`created_at` is stamped by the server
when it stores the event, so measuring from it would leave out the runtime → server leg; that leg is
reported separately as the ingest lag, `created_at − emit_us`.) Server RSS comes from
/proc/<java pid>/status, heap use from the server's own `/metrics` (`jvm_memory_used_bytes`, heap)."""
import argparse
import json
import multiprocessing
import os
import shutil
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import BENCH, Server, Target, ms, parse_ts, summary, write_result  # noqa: E402
import fanout_client  # noqa: E402

TITLE = "4. Event fan-out"
SUBSCRIBERS, QUICK_SUBSCRIBERS = 10_000, 500
RATE = 100
SECONDS, QUICK_SECONDS = 20, 10
PROCESSES = 2                 # subscriber processes (the machine has 2 cores)
MAX_PENDING = 200             # connections opening at once, per process (keeps within the listen backlog)
PORTS_PER_SOURCE_IP = 8_000   # above this many subscribers, spread them over 127.0.0.2, .3, …
SAMPLE_EVERY_S = 0.5
WARM_UP_SUBSCRIBERS, WARM_UP_SECONDS = 100, 3
CREW = os.path.join(BENCH, "crews", "ticker")


def run(quick, subscribers=None, rate=RATE, seconds=None, java_opts=None):
    n = subscribers or (QUICK_SUBSCRIBERS if quick else SUBSCRIBERS)
    seconds = seconds or (QUICK_SECONDS if quick else SECONDS)
    tmp = tempfile.mkdtemp(prefix="cs-bench-")
    os.chmod(tmp, 0o711)  # the runs' uids pass through it to the data dir
    srv = Server(env={"CREWSHIP_JAVA_OPTS": java_opts} if java_opts else None).start()
    try:
        crew = os.path.join(tmp, "ticker")
        shutil.copytree(CREW, crew)
        dep = srv.deploy("bench-fanout", crew)
        assert dep["status"] == "ready", dep
        # A short fan-out first: starts the warm parent and lets the JIT compile the streaming path, so
        # the figures are those of a server that has been up for a while, not of its first seconds.
        measure(srv, dep["id"], min(n, WARM_UP_SUBSCRIBERS), rate, WARM_UP_SECONDS)
        return measure(srv, dep["id"], n, rate, seconds) | {"server_java_opts": java_opts or "(the JVM's defaults)"}
    finally:
        srv.stop()
        shutil.rmtree(srv.data, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


def measure(srv, dep, n, rate, seconds):
    pid = srv.proc.pid  # bin/crewship execs the JVM, so this is the java process
    connect_budget_s = 30 + n / 50  # far more than connecting takes on an idle machine (about 2,000/s)
    run_id = srv.start_run({"deployment_id": dep, "input": {
        "rate": rate, "seconds": seconds, "max_wait_s": connect_budget_s + 60}})["id"]
    sampler = ServerSampler(srv, pid)
    sampler.start()
    sources = [f"127.0.0.{i + 1}" for i in range(max(1, -(-n // PORTS_PER_SOURCE_IP)))]
    wait_s = connect_budget_s + seconds + 60 + n / 100  # how long the subscribers follow before giving up
    deadline = time.time() + wait_s
    ctx = multiprocessing.get_context("fork")
    opened, results = ctx.Queue(), ctx.Queue()
    shares = [n // PROCESSES + (1 if i < n % PROCESSES else 0) for i in range(PROCESSES)]
    procs = [ctx.Process(target=fanout_client.run_subscribers,
                         args=(srv.port, f"/v1/runs/{run_id}/events", srv.key, share, sources, MAX_PENDING,
                               deadline, opened, results)) for share in shares if share]
    cpu_before = server_cpu_s(pid)
    connect_started = time.time()
    for p in procs:
        p.start()
    try:
        open_streams = sum(opened.get(timeout=connect_budget_s) for _ in procs)
        all_open_s = time.time() - connect_started
        sampler.mark("all_open")
        cpu_at_open = server_cpu_s(pid)
        go = os.path.join(srv.data, "runs", run_id, "artifacts", "go")
        wait_until = time.time() + 60
        while not os.path.isdir(os.path.dirname(go)) and time.time() < wait_until:
            time.sleep(0.05)  # the run is not executing yet
        with open(go + ".tmp", "w"):
            pass
        os.rename(go + ".tmp", go)  # the crew polls for the name: it appears complete
        parts = [results.get(timeout=deadline - time.time() + 60) for _ in procs]
    finally:
        for p in procs:
            p.join(10)
            if p.is_alive():
                p.kill()
        sampler.stop()
    cpu_after = server_cpu_s(pid)
    load_end = os.getloadavg()[0]
    final = srv.wait_run(run_id, timeout=120)
    if final["status"] != "succeeded":
        raise RuntimeError(f"the ticker run ended {final['status']}: {final.get('error')}")
    events = all_events(srv, run_id)
    ticks = [e for e in events if e["type"] == "bench.tick"]
    last_seq = events[-1]["seq"]
    ingest = [(parse_ts(e["created_at"]) * 1e6 - e["data"]["emit_us"]) / 1000 for e in ticks]
    first_tick, last_tick = (ticks[0]["data"]["emit_us"] / 1e6, ticks[-1]["data"]["emit_us"] / 1e6) if ticks else (0, 0)

    merged = merge(parts)
    complete = sum(1 for count, last in zip(merged["events"], merged["last_ids"]) if count == last_seq and last == last_seq)
    connect_ms = merged["connect_ms"]
    client_cpu = sum(p["cpu_s"] for p in parts)
    client_wall = max(p["wall_s"] for p in parts)
    result = {
        "crew": "bench/crews/ticker", "subscribers": n, "client_processes": len(procs), "source_ips": len(sources),
        "rate_per_s": rate, "seconds": seconds, "ticks": len(ticks), "events_per_stream": last_seq,
        "latency_from": "emit_us (the crew's clock right before sdk.emit) to the subscriber's recv()",
        "connected": len(connect_ms), "streams_complete": complete,
        "streams_unfinished_at_deadline": merged["errors"].get(fanout_client.LATE, 0), "deadline_s": round(wait_s),
        "connect_ms": summary(connect_ms), "all_connected_s": round(all_open_s, 2), "open_when_ticks_began": open_streams,
        "delivery_latency_ms": hist_summary(merged["latency_hist"]),
        "ingest_lag_ms": summary(ingest),
        "deliveries_timed": merged["ticks_live"], "deliveries_replayed": merged["ticks_replayed"],
        "gaps": merged["gaps"], "duplicates": merged["duplicates"],
        "errors": dict(merged["errors"]),
        "terminal_events": {str(k): v for k, v in merged["terminals"].items()},
        "server": sampler.figures(first_tick, last_tick) | {
            "cpu_s_connecting": round(cpu_at_open - cpu_before, 1), "cpu_s_streaming": round(cpu_after - cpu_at_open, 1),
            "cpu_us_per_delivery": round((cpu_after - cpu_at_open) * 1e6 / max(1, n * last_seq), 1)},
        "ticker": final.get("output"),
        "client": {"cpu_s": round(client_cpu, 1), "wall_s": client_wall,
                   "cores_used": round(client_cpu / client_wall, 2) if client_wall else None},
        "emit_span_s": round(last_tick - first_tick, 2),
        "load_avg_1m_end": round(load_end, 2),
    }
    broken = []
    if len(connect_ms) < n:
        broken.append(f"{n - len(connect_ms)} of {n} subscribers never got their stream open")
    late = merged["errors"].get(fanout_client.LATE, 0)
    if complete + late < n:
        broken.append(f"{n - complete - late} of {n} streams ended without delivering all {last_seq} events")
    # A stream still being delivered when the subscribers stop waiting is slow, not lossy: its events up to
    # then were checked like the others', and the figures say how many there were.
    if merged["gaps"] or merged["duplicates"]:
        broken.append(f"{merged['gaps']} events missing and {merged['duplicates']} duplicated or out of order")
    if broken:
        result["server"].pop("samples", None)
        print(json.dumps(result, indent=1), file=sys.stderr)
        print("server log (end):\n" + srv.log_tail(4000), file=sys.stderr)
        raise RuntimeError("event fan-out broken: " + "; ".join(broken) + f" (errors: {dict(merged['errors'])})")
    return result


def merge(parts):
    merged = {"connect_ms": [], "events": [], "last_ids": [], "latency_hist": {}, "ticks_live": 0, "ticks_replayed": 0,
              "gaps": 0, "duplicates": 0, "errors": {}, "terminals": {}}
    for p in parts:
        for key in ("connect_ms", "events", "last_ids"):
            merged[key].extend(p[key])
        for key in ("ticks_live", "ticks_replayed", "gaps", "duplicates"):
            merged[key] += p[key]
        for key in ("latency_hist", "errors", "terminals"):
            for k, v in p[key].items():
                merged[key][k] = merged[key].get(k, 0) + v
    return merged


def hist_summary(hist):
    """common.summary's figures from a histogram of 0.1 ms buckets (each bucket read as its lower edge)."""
    n = sum(hist.values())
    if not n:
        return {"n": 0}
    to_ms = fanout_client.BUCKET_US / 1000
    keys = sorted(hist)
    wanted = {p: max(0, min(n - 1, round(p / 100 * (n - 1)))) for p in (50, 90, 99)}
    out, seen = {"n": n}, 0
    for key in keys:
        seen += hist[key]
        for p, rank in wanted.items():
            if f"p{p}" not in out and seen > rank:
                out[f"p{p}"] = round(key * to_ms, 2)
    out["mean"] = round(sum(k * v for k, v in hist.items()) / n * to_ms, 2)
    out["max"] = round(keys[-1] * to_ms, 2)
    return {"n": n, "p50": out["p50"], "p90": out["p90"], "p99": out["p99"], "mean": out["mean"], "max": out["max"]}


def all_events(srv, run_id):
    events, after = [], 0
    while True:
        code, page = srv.json("GET", f"/v1/runs/{run_id}/events?after={after}&limit=1000",
                              headers={"Accept": "application/json"})
        assert code == 200, (code, page)
        events += page["data"]
        if not page["has_more"]:
            return events
        after = events[-1]["seq"]


def server_cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class ServerSampler:
    """The server's RSS, threads and open files (/proc) every half second, and its heap in use (its own
    /metrics, `jvm_memory_used_bytes` of the heap pools) as often as the server answers."""

    def __init__(self, srv, pid):
        self.srv, self.pid = srv, pid
        self.samples = []   # (epoch s, rss MiB, threads, open files)
        self.heap = []      # (epoch s, heap used MiB, heap committed MiB)
        self.marks = {}
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._proc_loop, daemon=True),
                         threading.Thread(target=self._heap_loop, daemon=True)]

    def start(self):
        for t in self._threads:
            t.start()

    def stop(self):
        self._stop.set()
        for t in self._threads:
            t.join(15)

    def mark(self, name):
        self.marks[name] = time.time()

    def _proc_loop(self):
        while not self._stop.is_set():
            rss = threads = fds = None
            try:
                with open(f"/proc/{self.pid}/status") as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            rss = int(line.split()[1]) / 1024
                        elif line.startswith("Threads:"):
                            threads = int(line.split()[1])
                fds = len(os.listdir(f"/proc/{self.pid}/fd"))
            except OSError:
                pass
            self.samples.append((time.time(), rss, threads, fds))
            self._stop.wait(SAMPLE_EVERY_S)

    def _heap_loop(self):
        while not self._stop.is_set():
            try:
                with urllib.request.urlopen(self.srv.url + "/metrics", timeout=10) as r:
                    text = r.read().decode()
                def heap(metric):
                    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                               if line.startswith(metric + "{") and 'area="heap"' in line) / 2**20
                self.heap.append((time.time(), heap("jvm_memory_used_bytes"), heap("jvm_memory_committed_bytes")))
            except OSError:
                pass
            self._stop.wait(SAMPLE_EVERY_S)

    def figures(self, first_tick, last_tick):
        def stat(values):
            values = [v for v in values if v is not None]
            return {"max": round(max(values), 1), "mean": round(sum(values) / len(values), 1)} if values else {}

        def at(series, when):
            before = [v for t, v, *_ in series if t <= when and v is not None]
            return round(before[-1], 1) if before else None
        during = [s for s in self.samples if first_tick <= s[0] <= last_tick] or self.samples
        heap_during = [h for h in self.heap if first_tick <= h[0] <= last_tick] or self.heap
        t0 = self.samples[0][0] if self.samples else 0
        all_open = self.marks.get("all_open", first_tick)
        return {
            "rss_mib_before_subscribers": at(self.samples, t0),
            "rss_mib_all_subscribers_open": at(self.samples, all_open),
            "rss_mib": stat(s[1] for s in during), "heap_used_mib": stat(h[1] for h in heap_during),
            "heap_committed_mib": stat(h[2] for h in heap_during),
            "heap_samples": len(self.heap),
            "threads_max": max((s[2] for s in during if s[2]), default=None),
            "open_files_max": max((s[3] for s in during if s[3]), default=None),
            "samples": [[round(s[0] - t0, 1), round(s[1], 1) if s[1] else None, s[2], s[3]] for s in self.samples],
            "samples_columns": ["s", "rss_mib", "threads", "open_files"],
            "heap": [[round(t - t0, 1), round(used, 1), round(committed, 1)] for t, used, committed in self.heap],
            "heap_columns": ["s", "used_mib", "committed_mib"],
        }


def targets(result):
    lat = result["delivery_latency_ms"].get("p99")
    rss = result["server"]["rss_mib"].get("max")
    n = result["subscribers"]
    return [
        Target(TITLE, f"{n:,} subscribers, {result['rate_per_s']} events/s: delivery p99", ms(lat), "≤ 50 ms",
               lat is not None and lat <= 50),
        Target(TITLE, f"{n:,} subscribers: server RSS (max during fan-out)", f"{rss:,.0f} MiB" if rss else "—",
               "≤ 200 MB", rss is not None and rss * 2**20 <= 200e6),
    ]


def section(result, charts):
    lat, conn, ing, srv, cli = (result["delivery_latency_ms"], result["connect_ms"], result["ingest_lag_ms"],
                                result["server"], result["client"])
    samples = srv.get("samples", [])
    chart = ""
    if samples:
        chart = charts.lines("event_fanout_memory", "Server RSS during the fan-out", [s[0] for s in samples],
                             {"RSS (MiB)": [s[1] or 0 for s in samples]}, "seconds since the run was created", "MiB")
    return f"""{result['subscribers']:,} concurrent SSE subscribers (`GET /v1/runs/{{id}}/events`, `Accept:
text/event-stream`) follow one run of `bench/crews/ticker`, which emits {result['rate_per_s']} `bench.tick`
events per second for {result['seconds']} s ({result['ticks']:,} ticks, {result['events_per_stream']:,} events per
stream with `run.started` and `run.completed`). The ticks begin once every subscriber's stream is open
(after a short warm-up fan-out of {WARM_UP_SUBSCRIBERS} subscribers on the same server); each subscriber
checks it received every event exactly once and in order. Delivery latency is the subscriber's receive time minus
the tick's emit time in the crew (end to end: runtime channel, store, fan-out, socket); the ingest lag
(`created_at` − emit time) is the part before the server stored the event. The subscribers run in
{result['client_processes']} processes on the same 2 cores as the server. Targets (issue 7): p99 ≤ 50 ms, ≤ 200 MB RSS.

| measure | figure |
| --- | --- |
| subscribers connected / streams complete (still being delivered after {result.get('deadline_s')} s) | {result['connected']:,} / {result['streams_complete']:,} ({result.get('streams_unfinished_at_deadline', 0):,}) of {result['subscribers']:,} |
| events missing / duplicated | {result['gaps']} / {result['duplicates']} |
| connect (to response headers) p50 / p99 / max; all open after | {ms(conn.get('p50'))} / {ms(conn.get('p99'))} / {ms(conn.get('max'))}; {result.get('all_connected_s')} s |
| delivery latency p50 / p90 / p99 / max | {ms(lat.get('p50'))} / {ms(lat.get('p90'))} / {ms(lat.get('p99'))} / {ms(lat.get('max'))} |
| deliveries timed (replayed to late subscribers, not timed) | {result['deliveries_timed']:,} ({result['deliveries_replayed']:,}) |
| ingest lag (`created_at` − emit) p50 / p99 | {ms(ing.get('p50'))} / {ms(ing.get('p99'))} |
| server RSS: no subscribers / all subscribers open / max during the ticks | {srv.get('rss_mib_before_subscribers') or 0:,.0f} / {srv.get('rss_mib_all_subscribers_open') or 0:,.0f} / {srv['rss_mib'].get('max', 0):,.0f} MiB |
| server heap used, mean / max during the fan-out (committed, max) | {srv['heap_used_mib'].get('mean', 0):,.0f} / {srv['heap_used_mib'].get('max', 0):,.0f} MiB ({srv.get('heap_committed_mib', {}).get('max', 0):,.0f} MiB) |
| server threads / open files (max) | {srv.get('threads_max')} / {srv.get('open_files_max')} |
| server CPU: connecting / streaming (per delivered event) | {srv.get('cpu_s_connecting')} s / {srv.get('cpu_s_streaming')} s ({srv.get('cpu_us_per_delivery')} µs) |
| subscribers' CPU (cores used) | {cli['cpu_s']} s ({cli['cores_used']}) |
| server JVM options | {result.get('server_java_opts', "(the JVM's defaults)")} |
| load average (1 min) at the end | {result.get('load_avg_1m_end')} |

{charts.percentiles("event_fanout_latency", "Event delivery latency", {"Crewship": lat})}
{chart}"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a short smoke run (CI), figures not representative")
    ap.add_argument("--subscribers", type=int, help=f"default {SUBSCRIBERS:,} (quick: {QUICK_SUBSCRIBERS})")
    ap.add_argument("--rate", type=int, default=RATE, help="events per second the run emits")
    ap.add_argument("--seconds", type=float, help=f"how long it emits (default {SECONDS}, quick {QUICK_SECONDS})")
    ap.add_argument("--java-opts", help="JVM options for the server (CREWSHIP_JAVA_OPTS), e.g. -Xmx256m")
    args = ap.parse_args()
    write_result("event_fanout", run(args.quick, args.subscribers, args.rate, args.seconds, args.java_opts), args.quick)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Item 5, store at scale: list-runs pages and run creation with a million runs in the server's SQLite store.

    python3 bench/store_scale.py [--quick] [--runs N] [--requests N]

Filling: the real server creates the data dir (its migrations make the schema), one project with a ready
deployment of examples/hello, and a few real runs; then it is stopped and the rest of the N runs
(1,000,000; quick 20,000) are inserted into its `crewship.db` with Python's sqlite3 in large
transactions, as copies of those real runs: the same columns, the same events per run (run.started … the
terminal event) and artifact rows pointing at the real runs' (content-addressed) blobs. They are spread
over 10 projects (9 more with a copy of the ready deployment), statuses ~90 % succeeded, 8 % failed,
2 % canceled, ids and `created_at` over the last 30 days the way the server makes them (time-ordered
base62). Nothing else is touched (no ANALYZE: the server does not run one either). Then the server starts
on it again.

Measuring (one client, one keep-alive connection, requests one after another, pages of 20, the list
queries taken in turn after 20 warm-up rounds): `GET /v1/runs` first page, a page deep in the list (`starting_after` a cursor half-way down),
filtered by project, by project and status, and by status alone; and `POST /v1/runs`. The runs the POSTs
create execute meanwhile, as they would. The result also has each list query's SQLite plan
(EXPLAIN QUERY PLAN, through the same SQL the store runs) and the database's size on disk."""
import argparse
import json
import os
import pathlib
import random
import shutil
import sqlite3
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Client, Server, Target, crew_copy, ms, summary, write_result  # noqa: E402

TITLE = "5. Store at scale"
RUNS, QUICK_RUNS = 1_000_000, 20_000
REQUESTS, QUICK_REQUESTS = 500, 100
PROJECTS = 10
TARGET_P99_MS = 20
BATCH = 50_000
WARM_UP_ROUNDS = 20
SPREAD_DAYS = 30
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# The SELECT JdbcRunStore.list runs (same columns, same shape), for the query plans.
COLUMNS = ("id, project_id, deployment_id, thread_id, status, input, output, error, idempotency_key, owner,"
           " created_at, started_at, finished_at")


def run(quick, runs=None, requests=None):
    n = runs or (QUICK_RUNS if quick else RUNS)
    count = requests or (QUICK_REQUESTS if quick else REQUESTS)
    tmp = tempfile.mkdtemp(prefix="cs-bench-")
    os.chmod(tmp, 0o711)  # the runs' uids pass through it to the data dir
    srv = Server().start()
    try:
        dep = srv.deploy("bench-hello", crew_copy("hello", pathlib.Path(tmp)))["id"]
        templates = [srv.run(dep, {"topic": f"template {i}"}) for i in range(3)]
        assert all(t["status"] == "succeeded" for t in templates), templates
        srv.stop()
        db_path = os.path.join(srv.data, "crewship.db")
        started = time.perf_counter()
        layout = fill(db_path, n - len(templates), [t["id"] for t in templates])
        fill_s = time.perf_counter() - started
        plans = query_plans(db_path, layout)
        srv.start()
        client = Client(srv)
        try:
            latency = measure(client, dep, layout, count)
        finally:
            client.close()
        srv.stop()
        return {"runs_stored": n, "projects": PROJECTS, "requests_each": count, "page_limit": 20,
                "fill_seconds": round(fill_s, 1), "db_bytes": db_size(srv.data), "latency_ms": latency,
                "query_plans": plans, "database": "SQLite (the default store), WAL"}
    finally:
        srv.stop()
        shutil.rmtree(srv.data, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


def new_id(prefix, millis, rng):
    """Ids as dev.crewship.common.Ids makes them: 9 base62 chars of milliseconds, 12 random."""
    time_part = []
    for _ in range(9):
        time_part.append(ALPHABET[millis % 62])
        millis //= 62
    return prefix + "".join(reversed(time_part)) + "".join(rng.choice(ALPHABET) for _ in range(12))


def fill(db_path, n, template_ids):
    """Inserts n runs (copies of the template runs) with their events and artifacts; returns what measure() needs."""
    rng = random.Random(7)
    db = sqlite3.connect(db_path, isolation_level=None)
    try:
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA synchronous = OFF")  # filling only; the server opens it with its own settings
        db.row_factory = sqlite3.Row
        template_runs = [dict(r) for r in db.execute(f"SELECT * FROM runs WHERE id IN ({','.join('?' * len(template_ids))})",
                                                       template_ids)]
        template = template_runs[0]
        events = [dict(r) for r in db.execute("SELECT * FROM run_events WHERE run_id = ? ORDER BY seq", (template["id"],))]
        artifacts = [dict(r) for r in db.execute("SELECT * FROM artifacts WHERE run_id = ?", (template["id"],))]
        project = dict(db.execute("SELECT * FROM projects WHERE id = ?", (template["project_id"],)).fetchone())
        deployment = dict(db.execute("SELECT * FROM deployments WHERE id = ?", (template["deployment_id"],)).fetchone())
        db.row_factory = None
        now = int(time.time() * 1000)
        start = now - SPREAD_DAYS * 86_400_000
        db.execute("BEGIN")
        targets = [(project["id"], deployment["id"])]
        for i in range(1, PROJECTS):
            pid, did = new_id("proj_", start + i, rng), new_id("dep_", start + i, rng)
            db.execute("INSERT INTO projects (id, name, current_deployment_id, created_at) VALUES (?, ?, ?, ?)",
                       (pid, f"bench-scale-{i}", did, start))
            row = {**deployment, "id": did, "project_id": pid, "created_at": start, "ready_at": start}
            db.execute(f"INSERT INTO deployments ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
            targets.append((pid, did))
        db.execute("COMMIT")
        error = json.dumps({"type": "ValueError", "message": "bench: a failed run", "traceback": "Traceback …"})
        run_sql = (f"INSERT INTO runs ({COLUMNS}, last_event_seq) VALUES ({', '.join('?' * 14)})")
        event_sql = "INSERT INTO run_events (run_id, seq, type, data, created_at) VALUES (?, ?, ?, ?, ?)"
        artifact_sql = "INSERT INTO artifacts (run_id, name, size, content_type, sha256, created_at) VALUES (?, ?, ?, ?, ?, ?)"
        step = (now - 60_000 - start) / max(1, n)
        duration = template["finished_at"] - template["started_at"]
        middle = None
        for first in range(0, n, BATCH):
            run_rows, event_rows, artifact_rows = [], [], []
            for i in range(first, min(n, first + BATCH)):
                created = int(start + i * step)
                run_id = new_id("run_", created, rng)
                pid, did = targets[i % PROJECTS]
                roll = rng.random()
                status = "succeeded" if roll < 0.90 else "failed" if roll < 0.98 else "canceled"
                started_at, finished_at = created + 5, created + 5 + duration
                terminal = {"succeeded": "run.completed", "failed": "run.failed", "canceled": "run.canceled"}[status]
                evs = events[:-1] + [{**events[-1], "type": terminal}]
                run_rows.append((run_id, pid, did, None, status, template["input"],
                                 template["output"] if status == "succeeded" else None,
                                 error if status == "failed" else None, None, template["owner"],
                                 created, started_at, finished_at, len(evs)))
                for e in evs:
                    event_rows.append((run_id, e["seq"], e["type"], e["data"], finished_at if e is evs[-1] else started_at))
                for a in artifacts:
                    artifact_rows.append((run_id, a["name"], a["size"], a["content_type"], a["sha256"], finished_at))
                if i == n // 2:
                    middle = run_id
            db.execute("BEGIN")
            db.executemany(run_sql, run_rows)
            db.executemany(event_sql, event_rows)
            db.executemany(artifact_sql, artifact_rows)
            db.execute("COMMIT")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return {"project": project["name"], "project_id": project["id"], "middle_cursor": middle,
                "events_per_run": len(events), "artifacts_per_run": len(artifacts)}
    finally:
        db.close()


def list_queries(layout):
    """The list requests measured: (name, query string, the WHERE the store builds, its parameters)."""
    p, pid, cursor = layout["project"], layout["project_id"], layout["middle_cursor"]
    return [
        ("list first page", "", "", ()),
        ("list page half-way down (cursor)", f"&starting_after={cursor}", "WHERE id < ?", (cursor,)),
        ("list by project", f"&project={p}", "WHERE project_id = ?", (pid,)),
        ("list by project and status=failed", f"&project={p}&status=failed", "WHERE project_id = ? AND status = ?", (pid, "failed")),
        ("list by status=canceled (all projects)", "&status=canceled", "WHERE status = ?", ("canceled",)),
    ]


def query_plans(db_path, layout):
    db = sqlite3.connect(db_path)
    try:
        plans = {}
        for name, _, where, params in list_queries(layout):
            sql = f"SELECT {COLUMNS} FROM runs {where} ORDER BY id DESC LIMIT ?"
            plans[name] = [row[3] for row in db.execute("EXPLAIN QUERY PLAN " + sql, (*params, 21))]
        return plans
    finally:
        db.close()


def measure(client, dep, layout, count):
    """Round-robin over the list queries, so warming up (JIT, page cache) and a neighbour's load affect
    each alike; then the creates."""
    queries = [(name, "/v1/runs?limit=20" + query) for name, query, _, _ in list_queries(layout)]
    samples = {name: [] for name, _ in queries}
    for round_ in range(count + WARM_UP_ROUNDS):
        for name, path in queries:
            code, page, elapsed = client.timed("GET", path)
            if code != 200 or len(page["data"]) != 20:
                raise AssertionError(f"GET {path} → {code}, {len(page.get('data', []))} runs: {page}")
            if round_ >= WARM_UP_ROUNDS:
                samples[name].append(elapsed)
    latency = {name: summary(values) for name, values in samples.items()}
    created = []
    for i in range(count + WARM_UP_ROUNDS):
        code, body, elapsed = client.timed("POST", "/v1/runs", {"deployment_id": dep, "input": {"topic": f"scale {i}"}})
        if code != 202:
            raise AssertionError(f"POST /v1/runs → {code}: {body}")
        if i >= WARM_UP_ROUNDS:
            created.append(elapsed)
    latency["create run (POST /v1/runs)"] = summary(created)
    return latency


def db_size(data):
    return sum(os.path.getsize(os.path.join(data, f)) for f in os.listdir(data) if f.startswith("crewship.db"))


def targets(result):
    lists = [v["p99"] for k, v in result["latency_ms"].items() if k.startswith("list")]
    create = result["latency_ms"]["create run (POST /v1/runs)"]["p99"]
    n = f"{result['runs_stored']:,} runs"
    return [Target(TITLE, f"{n}: list-runs page p99 (worst of {len(lists)} queries)", ms(max(lists)), f"≤ {TARGET_P99_MS} ms",
                   max(lists) <= TARGET_P99_MS),
            Target(TITLE, f"{n}: run create p99", ms(create), f"≤ {TARGET_P99_MS} ms", create <= TARGET_P99_MS)]


def section(result, charts):
    rows = ["| request | p50 | p90 | p99 | max |", "| --- | --- | --- | --- | --- |"]
    for name, s in result["latency_ms"].items():
        rows.append(f"| {name} | {ms(s['p50'], 2)} | {ms(s['p90'], 2)} | {ms(s['p99'], 2)} | {ms(s['max'], 2)} |")
    plans = ["| list query | SQLite plan |", "| --- | --- |"]
    for name, steps in result.get("query_plans", {}).items():
        plans.append(f"| {name} | {'; '.join(f'`{s}`' for s in steps)} |")
    series = {name: s for name, s in result["latency_ms"].items()}
    return f"""{result['runs_stored']:,} runs (with their events and artifact rows) in the server's SQLite store, over
{result['projects']} projects; the database is {result['db_bytes'] / 2**20:,.0f} MiB on disk (filled in {result['fill_seconds']:,.0f} s by
inserting copies of real runs into the real schema, then the server started on it). {result['requests_each']} requests of
each kind, one after another on one keep-alive connection, pages of {result['page_limit']} runs; the runs the POSTs create
execute meanwhile. Target (issue 7): p99 ≤ {TARGET_P99_MS} ms.

{chr(10).join(rows)}

Every list query walks an index newest first and stops after the page (`SCAN … USING INDEX` on the
primary key is that walk for the unfiltered list, not a table scan):

{chr(10).join(plans)}

{charts.percentiles("store_scale_latency", f"{result['runs_stored']:,} runs stored: request latency", series)}"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a short smoke run (CI), figures not representative")
    ap.add_argument("--runs", type=int, help=f"runs stored (default {RUNS:,}, quick {QUICK_RUNS:,})")
    ap.add_argument("--requests", type=int, help=f"requests of each kind (default {REQUESTS}, quick {QUICK_REQUESTS})")
    args = ap.parse_args()
    return write_result("store_scale", run(args.quick, args.runs, args.requests), args.quick)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Reliability 2, races: concurrent requests that compete for one thing, against the real server.

    python3 reliability/races.py [--quick]

(a) thread runs: rounds of 100 simultaneous `POST /v1/threads/{id}/runs` on an idle thread → exactly
    one 202, the other 99 answer 409 naming the accepted run as `active_run_id`; a refused request
    creates no run. Then 40 simultaneous runs with `multitask_strategy: "enqueue"` on one thread: all
    accepted, all succeed, one at a time (no two overlap from start to finish), and each saved one checkpoint.
(b) rollback while invoking: a project with two ready deployments of the probe crew whose `version`
    action answers "v1" and "v2". One client rolls the project back and forth (one rollback after
    another, a short random pause between them) while four others start runs, most by project (the
    current deployment), some by deployment id. Every run must succeed, have run the code of the
    deployment it names, and name a deployment that was current at some moment between sending its
    POST and receiving the 202 (or the one asked for); each rollback answers with its target current;
    afterwards the project's current deployment is the last rollback's and only it says `current`.
(c) environment variables: eight clients PATCH the project's variables at once, each one after another:
    its own variable (OWN_<n>) and three shared ones (SHARED_A/B/C, all three set to one new value per
    PATCH); every third step a client first DELETEs its own variable. Meanwhile runs keep starting and
    report the sha256 of each value they saw (never the value).
    The final state must be one a serial order gives: every OWN_<n> holds its writer's last value, the
    shared three hold the same value, which is some writer's last. Every run saw SHARED_A = B = C
    (one snapshot) and only values that were written. A run that prints a secret gets it redacted.
    No value ever appears in a response, an event, or the server log.
(d) project delete while invoking: two clients start runs (each sleeps 1 s) by project name with random
    pauses between them while a third deletes the project (retrying while it answers 409). A delete may
    only succeed when no run is pending or running: a 204 must never come while a run acknowledged with
    202 can still be unfinished (sent less than 1 s before the 204), and no run is acknowledged after it.
All parts: no response is a 5xx. Any violation fails the suite; the result still records the details."""
import hashlib
import json
import os
import pathlib
import random
import re
import secrets
import shutil
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench"))
from common import Server, Target, crew_copy, parse_ts, standalone, write_result  # noqa: E402

NAME = "reliability_races"
TITLE = "Races"
PROJECT = "races"
THREAD_ROUNDS, QUICK_THREAD_ROUNDS, CONCURRENT = 20, 3, 100
ENQUEUED, QUICK_ENQUEUED = 40, 10
ROLLBACKS, QUICK_ROLLBACKS, INVOKERS = 60, 12, 4
ENV_WRITERS, ENV_PATCHES, QUICK_ENV_PATCHES = 8, 25, 6
DELETE_ATTEMPTS, QUICK_DELETE_ATTEMPTS, DELETE_RUN_SECONDS = 10, 3, 1
SHARED = ("SHARED_A", "SHARED_B", "SHARED_C")
RUN_TIMEOUT = 300


class Client:
    """The suite's HTTP calls: counts 5xx answers and keeps every body (to look for secret values)."""

    def __init__(self, srv):
        self.srv = srv
        self.lock = threading.Lock()
        self.requests, self.server_errors, self.bodies = 0, [], []

    def call(self, method, path, body=None):
        code, raw, _ = self.srv.request(method, path, body)
        with self.lock:
            self.requests += 1
            self.bodies.append(raw)
            if code >= 500:
                self.server_errors.append(f"{method} {path}: HTTP {code} {raw[:300]!r}")
        return code, (json.loads(raw) if raw and raw[:1] in (b"{", b"[") else raw)

    def wait_runs(self, run_ids):
        """The runs, once all are terminal (bounded)."""
        deadline, done = time.monotonic() + RUN_TIMEOUT, {}
        for run_id in run_ids:
            while True:
                code, run = self.call("GET", f"/v1/runs/{run_id}")
                if code == 200 and run["status"] in ("succeeded", "failed", "canceled"):
                    done[run_id] = run
                    break
                if time.monotonic() > deadline:
                    raise AssertionError(f"run {run_id} not terminal after {RUN_TIMEOUT} s")
                time.sleep(0.1)
        return done


def run(quick):
    tmp = tempfile.mkdtemp(prefix="cs-rel-races-")
    os.chmod(tmp, 0o711)  # the runs' uids pass through it to the data dir
    srv = Server().start()
    client = Client(srv)
    try:
        crew = crew_copy("probe", pathlib.Path(tmp))
        v1 = srv.deploy(PROJECT, crew)
        pathlib.Path(crew, "version.py").write_text('VERSION = "v2"\n')
        v2 = srv.deploy(PROJECT, crew)
        assert v1["status"] == v2["status"] == "ready", (v1, v2)
        versions = {v1["id"]: "v1", v2["id"]: "v2"}
        parts = {
            "thread_runs": thread_runs(client, v1["id"], QUICK_THREAD_ROUNDS if quick else THREAD_ROUNDS,
                                       QUICK_ENQUEUED if quick else ENQUEUED),
            "rollback_invoke": rollback_invoke(client, versions, v2["id"], QUICK_ROLLBACKS if quick else ROLLBACKS),
            "env_vars": env_vars(client, QUICK_ENV_PATCHES if quick else ENV_PATCHES),
            "project_delete": project_delete(client, crew, QUICK_DELETE_ATTEMPTS if quick else DELETE_ATTEMPTS),
        }
        values = parts["env_vars"].pop("_values")
    finally:
        srv.stop()
        log = srv.log_tail(10**9)
        shutil.rmtree(srv.data, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)
    parts["env_vars"]["violations"] += leaks(values, client.bodies, log)
    result = {"crew": "tests/e2e/crews/probe", "requests": client.requests, "server_errors": client.server_errors, **parts}
    result["violations"] = sum(len(p["violations"]) for p in parts.values()) + len(client.server_errors)
    if result["violations"]:
        write_result(NAME, result, quick)  # the details stay on record although the suite fails
        raise AssertionError(f"{result['violations']} race violation(s): "
                             + "; ".join(v for p in parts.values() for v in p["violations"][:3]) + "; ".join(client.server_errors[:3]))
    return result


# ---- (a) one run per thread ----

def thread_runs(client, dep, rounds, enqueued):
    srv, violations = client.srv, []
    thread_id = srv.create_thread(dep)
    for number in range(1, rounds + 1):
        barrier, results = threading.Barrier(CONCURRENT), [None] * CONCURRENT

        def post(i):
            barrier.wait()
            # The accepted run sleeps until canceled, so it holds the thread until every request is answered.
            results[i] = client.call("POST", f"/v1/threads/{thread_id}/runs", {"input": {"action": "sleep", "seconds": 60, "i": i}})

        workers = [threading.Thread(target=post, args=(i,)) for i in range(CONCURRENT)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(120)
        accepted = [body for code, body in results if code == 202]
        refused = [body for code, body in results if code == 409]
        if len(accepted) != 1 or len(refused) != CONCURRENT - 1:
            violations.append(f"round {number}: answers {sorted(code for code, _ in results)}")
        for body in refused:
            if accepted and body.get("active_run_id") != accepted[0]["id"]:
                violations.append(f"round {number}: a 409 names {body.get('active_run_id')}, accepted {accepted[0]['id']}")
        for body in accepted:
            code, canceled = client.call("POST", f"/v1/runs/{body['id']}/cancel")
            if code != 200 or canceled["status"] != "canceled":
                violations.append(f"round {number}: cancel of {body['id']} answered {code} {canceled}")
    runs = client.call("GET", f"/v1/threads/{thread_id}/runs?limit=100")[1]["data"]
    if len(runs) != rounds:
        violations.append(f"the thread has {len(runs)} runs after {rounds} rounds: a refused request created a run")
    thread = client.call("GET", f"/v1/threads/{thread_id}")[1]
    if thread["status"] != "idle":
        violations.append(f"the thread is {thread['status']} after every run was canceled")
    violations += enqueued_runs(client, dep, enqueued)
    return {"rounds": rounds, "concurrent_requests": CONCURRENT, "enqueued": enqueued, "violations": violations}


def enqueued_runs(client, dep, n):
    """n simultaneous enqueued runs on one thread: all accepted, executed one at a time, each saved."""
    violations, results = [], [None] * n
    thread_id = client.srv.create_thread(dep)
    barrier = threading.Barrier(n)

    def post(i):
        barrier.wait()
        results[i] = client.call("POST", f"/v1/threads/{thread_id}/runs",
                                 {"input": {"action": "echo", "tag": f"q{i}"}, "multitask_strategy": "enqueue"})

    workers = [threading.Thread(target=post, args=(i,)) for i in range(n)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    accepted = [body["id"] for code, body in results if code == 202]
    if len(accepted) != n:
        violations.append(f"enqueue: {n - len(accepted)} of {n} answered {sorted(code for code, _ in results if code != 202)}")
    at = lambda run, field: parse_ts(run[field]) if run[field] else None  # noqa: E731
    runs = sorted(client.wait_runs(accepted).values(), key=lambda run: at(run, "started_at") or 0)
    violations += [f"enqueue: {run['id']} {run['status']}: {run['error']}" for run in runs if run["status"] != "succeeded"]
    for before, after in zip(runs, runs[1:]):
        if at(before, "finished_at") and at(after, "started_at") and at(after, "started_at") < at(before, "finished_at"):
            violations.append(f"enqueue: {after['id']} started at {after['started_at']} before {before['id']} finished at {before['finished_at']}")
    history = client.call("GET", f"/v1/threads/{thread_id}/history?limit=100")[1]["data"]
    if sorted(c["run_id"] for c in history) != sorted(accepted):
        violations.append(f"enqueue: {len(history)} checkpoints for {len(accepted)} succeeded runs")
    if client.call("GET", f"/v1/threads/{thread_id}")[1]["status"] != "idle":
        violations.append("enqueue: the thread is not idle after its runs")
    return violations


# ---- (b) rollback while invoking ----

def rollback_invoke(client, versions, initial, rollbacks):
    ids = sorted(versions, key=versions.get)  # [v1, v2]; v2 (the newer build) is current at first
    timeline = []  # (sent, answered, target) of each rollback, one after another
    invocations = []  # (sent, answered, requested deployment or None, run)
    violations, done = [], threading.Event()
    rng = random.Random(7)

    def roll():
        try:
            for i in range(rollbacks):
                target = ids[i % 2]  # v1, v2, v1, …: every rollback changes the current deployment
                sent = time.monotonic()
                code, project = client.call("POST", f"/v1/projects/{PROJECT}/rollback", {"deployment_id": target})
                timeline.append((sent, time.monotonic(), target))
                if code != 200 or project["current_deployment_id"] != target:
                    violations.append(f"rollback to {target} answered {code} {project}")
                time.sleep(rng.uniform(0.02, 0.15))
        finally:
            done.set()

    def invoke(n):
        i = 0
        while not done.is_set():
            requested = ids[(n + i) % 2] if i % 4 == 3 else None  # every fourth run names its deployment
            body = {"deployment_id": requested} if requested else {"project": PROJECT}
            sent = time.monotonic()
            code, run = client.call("POST", "/v1/runs", {**body, "input": {"action": "version"}})
            answered = time.monotonic()
            if code != 202:
                violations.append(f"POST /v1/runs {body} answered {code} {run}")
            else:
                invocations.append((sent, answered, requested, run))
            i += 1

    workers = [threading.Thread(target=roll)] + [threading.Thread(target=invoke, args=(n,)) for n in range(INVOKERS)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(600)
    runs = client.wait_runs([run["id"] for _, _, _, run in invocations])
    pinned = {dep: 0 for dep in ids}
    for sent, answered, requested, created in invocations:
        run = runs[created["id"]]
        dep = run["deployment_id"]
        possible = {requested} if requested else current_between(timeline, initial, sent, answered)
        if dep not in possible:
            violations.append(f"{run['id']} pinned {dep}, but only {sorted(possible)} were current while it was created")
        if run["status"] != "succeeded" or (run["output"] or {}).get("version") != versions.get(dep):
            violations.append(f"{run['id']} of {dep} ({versions.get(dep)}) ended {run['status']} with output {run['output']}")
        pinned[dep] = pinned.get(dep, 0) + 1
    project = client.call("GET", f"/v1/projects/{PROJECT}")[1]
    last = timeline[-1][2]
    if project["current_deployment_id"] != last:
        violations.append(f"current deployment {project['current_deployment_id']}, the last rollback's was {last}")
    flagged = [dep for dep in ids if client.call("GET", f"/v1/deployments/{dep}")[1]["current"]]
    if flagged != [last]:
        violations.append(f"deployments saying current: {flagged}, expected [{last}]")
    return {"rollbacks": len(timeline), "runs": len(invocations),
            "runs_by_project": sum(1 for _, _, requested, _ in invocations if requested is None),
            "runs_per_deployment": {versions[dep]: n for dep, n in pinned.items()}, "violations": violations}


def current_between(timeline, initial, start, end):
    """The deployments that may have been current at some moment in [start, end], given rollbacks made one
    after another: the one current before the interval, and the target of every rollback overlapping it."""
    before = initial
    possible = set()
    for sent, answered, target in timeline:
        if answered <= start:
            before = target
        elif sent < end:
            possible.add(target)
    return possible | {before}


# ---- (c) environment variables ----

def env_vars(client, patches):
    srv, violations = client.srv, []
    written = {name: [] for name in SHARED}  # every value ever written, per name
    last_own, last_shared = {}, {}
    digest = lambda value: hashlib.sha256(value.encode()).hexdigest()  # noqa: E731
    secret = lambda: "rel-secret-" + secrets.token_hex(12)  # noqa: E731
    initial = secret()
    names = list(SHARED) + [f"OWN_{w}" for w in range(ENV_WRITERS)]
    code, _ = client.call("PATCH", f"/v1/projects/{PROJECT}/env", {"vars": {name: initial for name in names}})
    assert code == 200, code
    own_written = {f"OWN_{w}": [initial] for w in range(ENV_WRITERS)}
    for name in SHARED:
        written[name].append(initial)
    lock, done = threading.Lock(), threading.Event()

    def write(w):
        for i in range(patches):
            own, shared = secret(), secret()
            with lock:
                own_written[f"OWN_{w}"].append(own)
                for name in SHARED:
                    written[name].append(shared)
            if i % 3 == 2:  # every third step first removes the writer's own variable, then sets it again
                code, body = client.call("DELETE", f"/v1/projects/{PROJECT}/env/OWN_{w}")
                if code != 204:
                    violations.append(f"DELETE by writer {w} answered {code} {body}")
            code, body = client.call("PATCH", f"/v1/projects/{PROJECT}/env", {"vars": {f"OWN_{w}": own, **{n: shared for n in SHARED}}})
            if code != 200:
                violations.append(f"PATCH by writer {w} answered {code} {body}")
            else:
                last_own[f"OWN_{w}"], last_shared[w] = own, shared

    reader_runs = []

    def read():
        while not done.is_set():
            code, run = client.call("POST", "/v1/runs", {"project": PROJECT, "input": {"action": "env_digest", "names": names}})
            if code != 202:
                violations.append(f"POST /v1/runs answered {code} {run}")
            else:
                reader_runs.append(run["id"])
            time.sleep(0.05)

    reader = threading.Thread(target=read)
    writers = [threading.Thread(target=write, args=(w,)) for w in range(ENV_WRITERS)]
    reader.start()
    for w in writers:
        w.start()
    for w in writers:
        w.join(600)
    done.set()
    reader.join(60)

    known = {name: {digest(v) for v in values} for name, values in {**written, **own_written}.items()}
    for name in own_written:
        known[name].add(None)  # seen between a DELETE and the PATCH after it
    for run in client.wait_runs(reader_runs).values():
        if run["status"] != "succeeded":
            violations.append(f"{run['id']} {run['status']}: {run['error']}")
            continue
        seen = run["output"]["digests"]
        if len({seen[name] for name in SHARED}) != 1:
            violations.append(f"{run['id']} saw SHARED_A/B/C from different writes: not one snapshot")
        violations += [f"{run['id']} saw a value of {name} nobody wrote" for name in names if seen[name] not in known[name]]

    # The final state, through a run: what a serial order of the PATCHes would leave.
    final = srv.wait_run(client.call("POST", "/v1/runs", {"project": PROJECT, "input": {"action": "env_digest", "names": names}})[1]["id"])
    seen = final["output"]["digests"]
    for name, value in last_own.items():
        if seen[name] != digest(value):
            violations.append(f"{name} does not hold its writer's last value: a lost update")
    if len({seen[n] for n in SHARED}) != 1 or seen[SHARED[0]] not in {digest(v) for v in last_shared.values()}:
        violations.append("SHARED_A/B/C do not hold one writer's last value")
    code, listing = client.call("GET", f"/v1/projects/{PROJECT}/env")
    if sorted(v["name"] for v in listing["data"]) != sorted(names):
        violations.append(f"listed variables {[v['name'] for v in listing['data']]}")

    # A run that prints a value and fails with it in its message: the events and the error are redacted.
    loud = srv.wait_run(client.call("POST", "/v1/runs", {"project": PROJECT, "input": {"action": "print_env", "name": "SHARED_A"}})[1]["id"])
    client.call("GET", f"/v1/runs/{loud['id']}/events")
    if "[REDACTED:SHARED_A]" not in json.dumps(loud["error"]):
        violations.append(f"the failing run's error does not show the redaction marker: {loud['error']}")
    for run_id in reader_runs + [final["id"]]:
        client.call("GET", f"/v1/runs/{run_id}/events")
    every_value = [v for values in list(written.values()) + list(own_written.values()) for v in values]
    return {"writers": ENV_WRITERS, "patches_per_writer": patches, "patches": ENV_WRITERS * patches,
            "runs_reading": len(reader_runs), "violations": violations, "_values": every_value}


# ---- (d) project delete while invoking ----

def project_delete(client, crew, attempts):
    srv, violations, rng = client.srv, [], random.Random(11)
    figures = {"attempts": attempts, "deleted": 0, "deleted_while_invoking": 0, "delete_refused_409": 0,
               "runs_acknowledged": 0, "runs_refused_404": 0}
    for attempt in range(attempts):
        name = f"races-delete-{attempt}"
        assert srv.deploy(name, crew)["status"] == "ready"
        acknowledged, deleted, refused, lock = [], [], [], threading.Lock()
        barrier = threading.Barrier(3)

        def invoke():
            # Runs with pauses between them, so that the project is now and then without an unfinished run
            # and the delete can succeed while a POST is on its way: the moment the race is about.
            barrier.wait()
            for i in range(6):
                time.sleep(rng.uniform(0, 4) if i else 0)
                sent = time.monotonic()
                code, run = client.call("POST", "/v1/runs", {"project": name, "input": {"action": "sleep", "seconds": DELETE_RUN_SECONDS}})
                with lock:
                    if code == 202:
                        acknowledged.append((sent, run["id"]))
                    elif code == 404:
                        refused.append(sent)
                        return
                    else:
                        violations.append(f"POST /v1/runs for {name} answered {code} {run}")

        def delete():
            barrier.wait()
            time.sleep(rng.uniform(0, 2))
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                code, body = client.call("DELETE", f"/v1/projects/{name}")
                if code == 204:
                    deleted.append(time.monotonic())
                    return
                if code != 409:
                    violations.append(f"DELETE /v1/projects/{name} answered {code} {body}")
                    return
                figures["delete_refused_409"] += 1
                time.sleep(0.02)
            violations.append(f"{name} still not deleted 120 s after its runs started")

        workers = [threading.Thread(target=invoke) for _ in range(2)] + [threading.Thread(target=delete)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(300)
        figures["runs_acknowledged"] += len(acknowledged)
        figures["runs_refused_404"] += len(refused)
        if deleted:
            figures["deleted"] += 1
            figures["deleted_while_invoking"] += bool(refused)
            for sent, run_id in acknowledged:
                # A 202 means the run was stored while the project existed, so before the delete took effect
                # (at the latest when it answered); sleeping, it cannot have finished before sent + its sleep.
                if sent + DELETE_RUN_SECONDS > deleted[0]:
                    violations.append(f"{name} deleted (204) {deleted[0] - sent:.2f} s after {run_id} was sent, which could not have"
                                      f" finished by then: an acknowledged run was deleted with the project")
        else:
            for _, run_id in acknowledged:
                client.call("POST", f"/v1/runs/{run_id}/cancel")
            client.call("DELETE", f"/v1/projects/{name}")
    return {**figures, "violations": violations}


def leaks(values, bodies, log):
    """Where any secret value appears: in a body the server answered to the suite, or in its log."""
    pattern = re.compile("|".join(re.escape(v) for v in values))
    return ([f"a response contains a secret value: {body[:200]!r}" for body in bodies if pattern.search(body.decode(errors="replace"))]
            + [f"the server log contains a secret value: {line[:200]}" for line in log.splitlines() if pattern.search(line)])


def targets(result):
    return [Target("Reliability 2. Races", "thread runs, rollback while invoking, env var updates, project delete: violations / 5xx",
                   f"{result['violations']} / {len(result['server_errors'])}", "0 / 0", result["violations"] == 0)]


def section(result, charts):
    t, r, e, d = result["thread_runs"], result["rollback_invoke"], result["env_vars"], result["project_delete"]
    per_dep = ", ".join(f"{v}: {n}" for v, n in r["runs_per_deployment"].items())
    rows = ["| race | what ran | violations |", "| --- | --- | --- |",
            f"| one run per thread | {t['rounds']} rounds of {t['concurrent_requests']} simultaneous `POST /v1/threads/{{id}}/runs`; "
            f"{t['enqueued']} simultaneous enqueued runs on one thread | {len(t['violations'])} |",
            f"| rollback while invoking | {r['rollbacks']} rollbacks between two deployments while {r['runs']} runs started "
            f"({r['runs_by_project']} by project; pinned {per_dep}) | {len(r['violations'])} |",
            f"| env var updates | {e['writers']} writers × {e['patches_per_writer']} concurrent PATCHes while {e['runs_reading']} runs "
            f"read the variables | {len(e['violations'])} |",
            f"| project delete while invoking | {d['attempts']} projects deleted while 2 clients started runs: {d['deleted']} deleted "
            f"({d['deleted_while_invoking']} while runs were still being started), {d['delete_refused_409']} deletes refused (409), "
            f"{d['runs_acknowledged']} runs acknowledged, {d['runs_refused_404']} refused (404) "
            f"| {len(d['violations'])} |"]
    details = [f"- {v}" for p in (t, r, e, d) for v in p["violations"][:5]] + [f"- {v}" for v in result["server_errors"][:5]]
    return f"""Concurrent requests competing for one thing, against the real server (checks in
`reliability/races.py`): exactly one of 100 simultaneous runs accepted on a thread (the others 409 naming
it); runs started while the project is rolled back and forth pin a deployment that was current while
they were created and run its code; concurrent PATCHes of environment variables end in a state a serial
order gives (no lost update), runs see one snapshot, and no value appears in a response, an event or
the server log; a project is never deleted while a run it acknowledged can still be unfinished. {result['requests']} requests, {len(result['server_errors'])} answered 5xx.

{chr(10).join(rows)}

Violations: {"none." if not details else chr(10) + chr(10).join(details)}"""


if __name__ == "__main__":
    standalone(NAME, run, __doc__.splitlines()[0])

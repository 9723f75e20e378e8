#!/usr/bin/env python3
"""Reliability 1, crash: rounds of "start 30 runs and a thread's runs, `kill -9` the server at a random
moment, restart it on the same data dir", each followed by checks of what crash recovery promises
(docs/operations.md, "Crash recovery").

    python3 reliability/crash.py [--quick] [--rounds N] [--seed S]

One server and one data dir for all rounds (each round starts on what the previous ones left). A round:
a new thread gets a run and a second, enqueued run; 30 runs of the probe crew's `write` action (a few
steps of 0.15 s, each printing a line and writing a 64 KiB file whose bytes depend only on the run's tag)
are submitted one after another; every run acknowledged with 202 gets an SSE follower at once. At a
random moment the server's whole process group gets SIGKILL; the server restarts on the same port and
data dir. Checks, every round:

- acknowledged: every run id answered with 202 exists after the restart;
- retry: repeating each acknowledged POST with its Idempotency-Key answers 200 with the same run; the
  POST the kill interrupted, repeated, answers the run it created or a new one (which joins the checks);
- terminal: every acknowledged run reaches a terminal status (within 180 s of the restart), and the
  project has no run left pending or running (also runs whose 202 the kill swallowed);
- events: per run, sequence numbers 1..n without a gap, exactly one terminal event, last, matching the status;
- sse_kept: every event a follower received before the kill is stored with the same seq, type and data;
- artifacts: a succeeded run lists exactly its files and each one's sha256 (listed and of the bytes
  downloaded through the API) is the expected one; any other run's listed artifacts download to their
  listed sha256 and size;
- thread: the thread is `idle` again with no active run, and its history holds exactly its succeeded runs;
- no_leftovers: no process of the killed server's process tree, and none mentioning its data dir,
  is alive 10 s after the kill (before the restart).
Any violation fails the suite; the result file still records every round's details."""
import argparse
import hashlib
import http.client
import os
import pathlib
import random
import shutil
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench"))
from common import Server, Target, crew_copy, ms, summary, write_result  # noqa: E402
from crewship_e2e import TERMINAL, TERMINAL_EVENTS, EventFollower, process_tree, processes_mentioning, still_alive  # noqa: E402

NAME = "reliability_crash"
TITLE = "Crash: kill -9 the server mid-work"
ROUNDS, QUICK_ROUNDS = 20, 3
RUNS_PER_ROUND = 30
STEPS, STEP_SECONDS, FILE_BYTES = 4, 0.15, 64 * 1024
# When the kill comes, in seconds after the round's first request: from during the submissions to
# (on this 2-core machine) after most runs have finished.
KILL_WINDOW = (0.05, 9.0)
RECOVERY_TIMEOUT = 180
LEFTOVER_WAIT = 10
PROJECT = "crash"
TERMINAL_EVENT = dict(zip(TERMINAL, TERMINAL_EVENTS))  # status → the event that ends the run's stream
CHECKS = ("acknowledged", "retry", "terminal", "events", "sse_kept", "artifacts", "thread", "no_leftovers")


def artifact_content(tag, index, size):
    """What the probe crew's `write` action puts in parts/<index>.bin (tests/e2e/crews/probe/probe.py)."""
    block = hashlib.sha256(f"{tag}:{index}".encode()).hexdigest().encode()
    return (block * (size // len(block) + 1))[:size]


def expected_artifacts(tag):
    return {f"parts/{i}.bin": hashlib.sha256(artifact_content(tag, i, FILE_BYTES)).hexdigest() for i in range(STEPS)}


def write_input(tag):
    return {"action": "write", "tag": tag, "steps": STEPS, "step_seconds": STEP_SECONDS, "size": FILE_BYTES}


def run(quick, rounds=None, seed=None):
    n = rounds or (QUICK_ROUNDS if quick else ROUNDS)
    seed = seed if seed is not None else random.randrange(2**32)
    rng = random.Random(seed)
    tmp = tempfile.mkdtemp(prefix="cs-rel-crash-")
    os.chmod(tmp, 0o711)  # the runs' uids pass through it to the data dir
    srv = Server().start()
    records = []
    try:
        dep = srv.deploy(PROJECT, crew_copy("probe", pathlib.Path(tmp)))
        assert dep["status"] == "ready", dep
        for number in range(1, n + 1):
            record = crash_round(srv, dep["id"], number, rng)
            records.append(record)
            failed = [name for name, outcome in record["checks"].items() if outcome != "ok"]
            print(f"    round {number}: killed at {record['killed_at_ms']:.0f} ms, {record['acknowledged']} acknowledged, "
                  f"recovered in {record['recovery_ms']:.0f} ms, {'violations: ' + ', '.join(failed) if failed else 'all checks ok'}",
                  flush=True)
    finally:
        srv.stop()
        shutil.rmtree(srv.data, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)
    result = figures(records, seed)
    if result["violations"]:
        write_result(NAME, result, quick)  # the details stay on record although the suite fails
        raise AssertionError(f"{len(result['violations'])} crash-recovery violation(s): {result['violations'][:5]}")
    return result


def figures(records, seed):
    violations = [{"round": r["round"], "check": name, "details": outcome}
                  for r in records for name, outcome in r["checks"].items() if outcome != "ok"]
    passed = {name: sum(1 for r in records if r["checks"][name] == "ok") for name in CHECKS}
    return {"crew": "tests/e2e/crews/probe (action write)", "seed": seed, "runs_per_round": RUNS_PER_ROUND,
            "rounds_run": len(records), "checks_passed": passed, "violations": violations,
            "recovery_ms": summary([r["recovery_ms"] for r in records]),
            "restart_ready_ms": summary([r["restart_ready_ms"] for r in records]),
            "killed_at_ms": summary([r["killed_at_ms"] for r in records]),
            "rounds": records}


class Submitter(threading.Thread):
    """Submits the round's runs one after another, following each acknowledged one over SSE, until done
    or the server is gone."""

    def __init__(self, srv, dep, thread_id, tags):
        super().__init__(daemon=True)
        self.srv, self.dep, self.thread_id, self.tags = srv, dep, thread_id, tags
        self.acknowledged = {}  # run id → its tag
        self.followers = []
        self.stopped_by = None
        self.in_flight = None  # the tag of the run whose POST the kill interrupted

    def run(self):
        try:
            for i, tag in enumerate(self.tags):
                self.in_flight = tag
                code, body = post_run(self.srv, self.dep, self.thread_id, tag, i)
                self.in_flight = None
                if code != 202:
                    self.stopped_by = f"HTTP {code}: {body}"
                    return
                self.acknowledged[body["id"]] = tag
                follower = EventFollower(self.srv, body["id"])
                follower.start()
                self.followers.append(follower)
        except (OSError, http.client.HTTPException) as e:  # the kill
            self.stopped_by = f"{type(e).__name__}"


def post_run(srv, dep, thread_id, tag, i):
    """The round's i-th run: the first two are the thread's (the second enqueued behind the first), the
    others stateless runs; each with its tag as Idempotency-Key, so a client can retry it safely."""
    headers = {"Idempotency-Key": tag}
    if i < 2:
        extra = {"multitask_strategy": "enqueue"} if i == 1 else {}
        return srv.json("POST", f"/v1/threads/{thread_id}/runs", {"input": write_input(tag), **extra}, headers=headers)
    return srv.json("POST", "/v1/runs", {"deployment_id": dep, "input": write_input(tag)}, headers=headers)


def counts(srv):
    code, usage = srv.json("GET", f"/v1/projects/{PROJECT}/usage")
    assert code == 200, usage
    return usage["runs"]


def crash_round(srv, dep, number, rng):
    thread_id = srv.create_thread(dep)
    before = counts(srv)
    tags = [f"r{number}-t{i}" for i in range(2)] + [f"r{number}-{i}" for i in range(RUNS_PER_ROUND)]
    submitter = Submitter(srv, dep, thread_id, tags)
    kill_after = rng.uniform(*KILL_WINDOW)
    started = time.monotonic()
    submitter.start()
    time.sleep(max(0.0, started + kill_after - time.monotonic()))
    try:
        now = counts(srv)
        at_kill = {"pending": now["pending"], "running": now["running"], "succeeded": now["succeeded"] - before["succeeded"]}
    except (OSError, http.client.HTTPException) as e:
        at_kill = {"error": type(e).__name__}
    tree = process_tree(srv.proc.pid)
    killed_at = (time.monotonic() - started) * 1000
    srv.kill9()
    killed = time.monotonic()
    submitter.join(60)
    for follower in submitter.followers:
        follower.join(30)
    checks = {}
    checks["no_leftovers"] = leftovers(srv, tree, killed)

    restart = time.monotonic()
    srv.start()
    ready_ms = (time.monotonic() - restart) * 1000
    acknowledged = submitter.acknowledged
    acknowledged_before_kill = len(acknowledged)
    missing = [f"{run_id}: HTTP {code}" for run_id in acknowledged for code in [srv.json("GET", f"/v1/runs/{run_id}")[0]] if code != 200]
    if (submitter.stopped_by or "").startswith("HTTP"):  # refused by the live server, not cut off by the kill
        missing.append(f"a POST before the kill answered {submitter.stopped_by}")
    checks["acknowledged"] = violations_or_ok(missing)
    checks["retry"] = violations_or_ok(retry_violations(srv, dep, thread_id, submitter))
    runs, not_terminal = wait_terminal(srv, acknowledged, restart + RECOVERY_TIMEOUT)
    not_terminal += unfinished(srv, restart + RECOVERY_TIMEOUT)  # also runs whose 202 the kill swallowed
    recovery_ms = (time.monotonic() - restart) * 1000
    checks["terminal"] = violations_or_ok(not_terminal)
    stored = {run_id: srv.events(run_id) for run_id in runs}
    checks["events"] = violations_or_ok([v for run_id, run in runs.items() for v in event_violations(run, stored[run_id])])
    checks["sse_kept"] = violations_or_ok([v for f in submitter.followers for v in sse_violations(f, stored.get(f.run_id, []))])
    checks["artifacts"] = violations_or_ok([v for run_id, run in runs.items() for v in artifact_violations(srv, run, acknowledged[run_id])])
    checks["thread"] = violations_or_ok(thread_violations(srv, thread_id))
    statuses = [run["status"] for run in runs.values()]
    return {"round": number, "killed_at_ms": round(killed_at, 1), "at_kill": at_kill,
            "acknowledged": acknowledged_before_kill, "submission_stopped_by": submitter.stopped_by,
            "sse_events_received": sum(len(f.received) for f in submitter.followers),
            "restart_ready_ms": round(ready_ms, 1), "recovery_ms": round(recovery_ms, 1),
            "outcomes": {s: statuses.count(s) for s in TERMINAL},
            "interrupted_runs": sum(1 for run in runs.values() if (run.get("error") or {}).get("type") == "ServerRestarted"),
            "checks": {name: checks[name] for name in CHECKS}}


def violations_or_ok(violations):
    return violations or "ok"


def leftovers(srv, tree, killed):
    """Processes of the killed server's tree, or mentioning its data dir, still alive after LEFTOVER_WAIT."""
    while True:
        alive = still_alive(tree) + [pid for pid in processes_mentioning(srv.data) if pid not in tree]
        if not alive or time.monotonic() - killed > LEFTOVER_WAIT:
            break
        time.sleep(0.1)
    details = []
    for pid in sorted(set(alive)):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                command = f.read().replace(b"\0", b" ").decode(errors="replace")[:200]
            details.append(f"pid {pid} alive {LEFTOVER_WAIT} s after the kill: {command}")
        except OSError:
            pass  # gone meanwhile
    return violations_or_ok(details)


def retry_violations(srv, dep, thread_id, submitter):
    """A client retrying its POSTs with the same Idempotency-Key after the restart gets the run it was
    acknowledged (200, same id); the POST the kill interrupted gives the run it may have created, or a
    new one (then checked like the others)."""
    out = []
    index = {tag: i for i, tag in enumerate(submitter.tags)}
    for run_id, tag in list(submitter.acknowledged.items()):
        code, body = post_run(srv, dep, thread_id, tag, index[tag])
        if code != 200 or body.get("id") != run_id:
            out.append(f"retry of acknowledged {run_id} ({tag}) answered {code} {body.get('id', body)}")
    if submitter.in_flight:
        tag = submitter.in_flight
        code, body = post_run(srv, dep, thread_id, tag, index[tag])
        if code in (200, 202):
            submitter.acknowledged[body["id"]] = tag
        else:
            out.append(f"retry of the interrupted POST ({tag}) answered {code} {body}")
    return out


def wait_terminal(srv, acknowledged, deadline):
    runs, waiting = {}, set(acknowledged)
    while waiting and time.monotonic() < deadline:
        for run_id in sorted(waiting):
            code, run = srv.json("GET", f"/v1/runs/{run_id}")
            if code == 200 and run["status"] in TERMINAL:
                runs[run_id] = run
                waiting.discard(run_id)
        if waiting:
            time.sleep(0.1)
    return runs, [f"{run_id} not terminal {RECOVERY_TIMEOUT} s after the restart" for run_id in sorted(waiting)]


def unfinished(srv, deadline):
    """The project's runs still pending or running at the deadline (none once every run has ended)."""
    while True:
        left = [f"{r['id']} still {status}" for status in ("pending", "running")
                for r in srv.json("GET", f"/v1/runs?project={PROJECT}&status={status}&limit=100")[1]["data"]]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


def event_violations(run, events):
    seqs = [e["seq"] for e in events]
    out = []
    if seqs != list(range(1, len(seqs) + 1)):
        out.append(f"{run['id']}: sequence numbers {seqs} are not 1..{len(seqs)}")
    terminal = [i for i, e in enumerate(events) if e["type"] in TERMINAL_EVENTS]
    if len(terminal) != 1 or terminal[0] != len(events) - 1:
        out.append(f"{run['id']}: terminal events at positions {terminal} of {len(events)}")
    elif events[-1]["type"] != TERMINAL_EVENT[run["status"]]:
        out.append(f"{run['id']}: status {run['status']} but last event {events[-1]['type']}")
    return out


def sse_violations(follower, stored):
    by_seq = {e["seq"]: (e["type"], e["data"]) for e in stored}
    out = [f"{follower.run_id}: received event {seq} {kind} {data} but stored {by_seq.get(seq)}"
           for seq, kind, data in follower.received if by_seq.get(seq) != (kind, data)]
    if follower.complete and [seq for seq, _, _ in follower.received] != sorted(by_seq):
        out.append(f"{follower.run_id}: stream ended after the terminal event with {len(follower.received)} events, {len(by_seq)} stored")
    return out


def artifact_violations(srv, run, tag):
    code, listing = srv.json("GET", f"/v1/runs/{run['id']}/artifacts")
    if code != 200:
        return [f"{run['id']}: artifacts listing HTTP {code}"]
    listed = {a["name"]: a for a in listing["data"]}
    out = []
    expected = expected_artifacts(tag) if run["status"] == "succeeded" else {}
    if expected and sorted(listed) != sorted(expected):
        out.append(f"{run['id']} succeeded with artifacts {sorted(listed)}, expected {sorted(expected)}")
    for name, artifact in listed.items():
        code, body, _ = srv.request("GET", f"/v1/runs/{run['id']}/artifacts/{name}")
        digest = hashlib.sha256(body).hexdigest()
        if code != 200 or digest != artifact["sha256"] or len(body) != artifact["size"]:
            out.append(f"{run['id']}/{name}: HTTP {code}, {len(body)} bytes with sha256 {digest}, "
                       f"listed {artifact['size']} bytes {artifact['sha256']}")
        elif name in expected and digest != expected[name]:
            out.append(f"{run['id']}/{name}: sha256 {digest}, expected {expected[name]}")
    return out


def thread_violations(srv, thread_id):
    deadline = time.monotonic() + 30  # the thread is released when its last run ends
    while True:
        thread = srv.json("GET", f"/v1/threads/{thread_id}")[1]
        if (thread["status"] == "idle" and thread.get("active_run_id") is None) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    out = []
    if thread["status"] != "idle" or thread.get("active_run_id") is not None:
        out.append(f"{thread_id} is {thread['status']} with active run {thread.get('active_run_id')}")
    history = srv.json("GET", f"/v1/threads/{thread_id}/history?limit=100")[1]["data"]
    saved = sorted(c["run_id"] for c in history)
    # All the thread's runs, also one whose 202 the kill swallowed.
    thread_runs = srv.json("GET", f"/v1/threads/{thread_id}/runs?limit=100")[1]["data"]
    succeeded = sorted(run["id"] for run in thread_runs if run["status"] == "succeeded")
    if saved != succeeded:
        out.append(f"{thread_id}: checkpoints of runs {saved}, succeeded thread runs {succeeded}")
    return out


def targets(result):
    rounds = result["rounds_run"]
    return [Target("Reliability 1. Crash", f"kill -9 rounds with every check passed ({result['runs_per_round']} runs + 2 thread runs each)",
                   f"{sum(1 for r in result['rounds'] if all(v == 'ok' for v in r['checks'].values()))} / {rounds}",
                   f"{rounds} / {rounds}", not result["violations"]),
            Target("Reliability 1. Crash", "recovery: restart → all runs terminal, p50 / max",
                   f"{ms(result['recovery_ms'].get('p50'))} / {ms(result['recovery_ms'].get('max'))}", "", None)]


def section(result, charts):
    checks = ["| check | rounds passed |", "| --- | --- |"]
    checks += [f"| {name} | {passed} / {result['rounds_run']} |" for name, passed in result["checks_passed"].items()]
    rows = ["| round | killed at | pending / running / succeeded at the kill | acknowledged | SSE events received "
            "| outcome (succeeded / failed / canceled) | restart → ready | restart → all terminal | checks |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in result["rounds"]:
        k, o = r["at_kill"], r["outcomes"]
        state = "—" if "error" in k else f"{k['pending']} / {k['running']} / {k['succeeded']}"
        bad = [name for name, v in r["checks"].items() if v != "ok"]
        rows.append(f"| {r['round']} | {ms(r['killed_at_ms'], 0)} | {state} | {r['acknowledged']} | {r['sse_events_received']} "
                    f"| {o['succeeded']} / {o['failed']} / {o['canceled']} | {ms(r['restart_ready_ms'], 0)} "
                    f"| {ms(r['recovery_ms'], 0)} | {'all ' + str(len(r['checks'])) + ' ok' if not bad else '**' + ', '.join(bad) + '**'} |")
    violations = "None." if not result["violations"] else "\n".join(
        f"- round {v['round']}, {v['check']}: {'; '.join(v['details'][:3])}" for v in result["violations"])
    rec, ready = result["recovery_ms"], result["restart_ready_ms"]
    return f"""{result['rounds_run']} rounds on one server and data dir: each starts {result['runs_per_round']} runs of the probe crew's
`write` action (4 steps of 0.15 s, a 64 KiB file each) and two runs of a new thread (the second enqueued),
follows every acknowledged run over SSE, sends SIGKILL to the server's whole process group at a random
moment ({KILL_WINDOW[0]}–{KILL_WINDOW[1]} s after the first request), restarts it on the same data dir and checks
what crash recovery promises (docs/operations.md): every acknowledged run exists and becomes terminal,
nothing stays pending or running, events numbered 1..n with one terminal event last, every event a
follower had received still stored unchanged, a retried POST (same Idempotency-Key) answered with its
acknowledged run, artifacts of succeeded runs byte-exact (sha256 of the download), the thread idle with
exactly its succeeded runs in its history, and no process of the killed server left after {LEFTOVER_WAIT} s.
Run states at the kill are read just before it. Seed `{result['seed']}` (`--seed` repeats the kill moments).
Restart times include the JVM's start on a shared, busy machine (the load average is below).

{chr(10).join(checks)}

Violations: {violations}

Recovery (restart → every run of the round terminal, including the re-dispatched pending ones):
p50 {ms(rec.get('p50'), 0)}, max {ms(rec.get('max'), 0)}; restart → ready: p50 {ms(ready.get('p50'), 0)}, max {ms(ready.get('max'), 0)}.

{chr(10).join(rows)}"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help=f"{QUICK_ROUNDS} rounds (CI smoke)")
    ap.add_argument("--rounds", type=int, help=f"rounds (default {ROUNDS}, quick {QUICK_ROUNDS})")
    ap.add_argument("--seed", type=int, help="the random kill moments' seed (default: a random one, recorded)")
    args = ap.parse_args()
    return write_result(NAME, run(args.quick, args.rounds, args.seed), args.quick)


if __name__ == "__main__":
    main()

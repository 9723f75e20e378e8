"""Threads end to end (docs/api.md, "Threads"), against the real server started by bin/crewship:
the seed's three thread curl commands with examples/chat, one run at a time under 100 concurrent
requests, failed and canceled runs that change nothing, kill -9 that leaves no thread busy, forks,
and bad input."""
import json
import shutil
import subprocess
import threading
import time

import pytest

from crewship_e2e import Server, crew_copy

SEED_CREATE_THREAD = """curl -X POST https://api.crewship.dev/v1/threads \\
  -H "Authorization: Bearer YOUR_API_KEY" \\
  -H "Content-Type: application/json" \\
  -d '{"deployment_id": "dep_abc123"}'"""

SEED_RUN_IN_THREAD = """curl -X POST https://api.crewship.dev/v1/threads/thr_xyz789/runs \\
  -H "Authorization: Bearer YOUR_API_KEY" \\
  -H "Content-Type: application/json" \\
  -d '{"input": {"message": "Research AI agents in healthcare"}}'"""

SEED_FOLLOW_UP = """curl -X POST https://api.crewship.dev/v1/threads/thr_xyz789/runs \\
  -H "Authorization: Bearer YOUR_API_KEY" \\
  -H "Content-Type: application/json" \\
  -d '{"input": {"message": "Now focus on diagnostic applications"}}'"""


def seed_command(text, server, dep=None, thread=None):
    """The seed's command with only the host, the key and the ids substituted."""
    text = text.replace("https://api.crewship.dev", server.url).replace("YOUR_API_KEY", server.key)
    if dep:
        text = text.replace("dep_abc123", dep)
    if thread:
        text = text.replace("thr_xyz789", thread)
    p = subprocess.run(["bash", "-c", text + " -sS -w '\\n%{http_code}'"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    body, _, status = p.stdout.rpartition("\n")
    return int(status), json.loads(body)


def snapshot(server, thread_id):
    """What a run may change in a thread: its state (but the time of its last status change) and its whole history."""
    state = server.json("GET", f"/v1/threads/{thread_id}/state")[1]
    del state["updated_at"]
    history = server.json("GET", f"/v1/threads/{thread_id}/history?limit=100")[1]
    return state, history


@pytest.fixture(scope="module")
def chat(server, tmp_path_factory):
    dep = server.deploy("chat", crew_copy("chat", tmp_path_factory.mktemp("chat")))
    assert dep["status"] == "ready", server.json("GET", f"/v1/deployments/{dep['id']}/logs")
    return dep["id"]


def test_the_seeds_thread_commands_work_and_the_follow_up_sees_the_first_message(server, chat):
    status, thread = seed_command(SEED_CREATE_THREAD, server, dep=chat)
    assert status == 201, thread
    assert thread["id"].startswith("thr_") and thread["status"] == "idle"
    assert thread["deployment_id"] == chat

    status, first = seed_command(SEED_RUN_IN_THREAD, server, thread=thread["id"])
    assert status == 202, first
    assert first["thread_id"] == thread["id"] and first["status"] in ("pending", "running")
    assert first["input"] == {"message": "Research AI agents in healthcare"}
    first_done = server.wait_run(first["id"])
    assert first_done["status"] == "succeeded", first_done
    assert first_done["output"]["remembered_messages"] == 0

    status, follow_up = seed_command(SEED_FOLLOW_UP, server, thread=thread["id"])
    assert status == 202, follow_up
    done = server.wait_run(follow_up["id"])
    assert done["status"] == "succeeded", done
    answer = done["output"]["raw"]
    assert answer.startswith("Research brief: diagnostic applications of AI agents in healthcare")
    assert 'Building on what you asked before: "Research AI agents in healthcare".' in answer

    state, history = snapshot(server, thread["id"])
    assert state["status"] == "idle"
    assert [m["content"] for m in state["values"]["messages"] if m["role"] == "user"] == [
        "Research AI agents in healthcare", "Now focus on diagnostic applications"]
    assert [c["run_id"] for c in history["data"]] == [follow_up["id"], first["id"]]
    assert history["data"][0]["id"] == state["checkpoint_id"]


def test_of_100_concurrent_runs_on_an_idle_thread_exactly_one_is_accepted_20_times_over(server, probe):
    thread_id = server.create_thread(probe)
    for round in range(20):
        barrier = threading.Barrier(100)
        results = [None] * 100

        def post(i):
            barrier.wait()
            # The accepted run sleeps until it is canceled, so it holds the thread until every request is answered.
            results[i] = server.json("POST", f"/v1/threads/{thread_id}/runs", {"input": {"action": "sleep", "seconds": 60, "i": i}})

        workers = [threading.Thread(target=post, args=(i,)) for i in range(100)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(120)
        codes = sorted(code for code, _ in results)
        assert codes == [202] + [409] * 99, (round, codes)
        [winner] = [body for code, body in results if code == 202]
        for code, body in results:
            if code == 409:
                assert body["type"] == "https://crewship.dev/problems/conflict"
                assert body["active_run_id"] == winner["id"], body
        assert server.json("GET", f"/v1/threads/{thread_id}")[1]["active_run_id"] == winner["id"]
        code, canceled = server.json("POST", f"/v1/runs/{winner['id']}/cancel")
        assert code == 200 and canceled["status"] == "canceled", canceled
    code, runs = server.json("GET", f"/v1/threads/{thread_id}/runs?limit=100")
    assert len(runs["data"]) == 20, "a refused request creates no run"
    assert all(run["status"] == "canceled" for run in runs["data"])
    assert server.json("GET", f"/v1/threads/{thread_id}")[1]["status"] == "idle"
    assert "Exception" not in server.log_tail(200_000)


def test_failed_and_canceled_runs_leave_values_and_history_unchanged(server, probe):
    thread_id = server.create_thread(probe, values={"owner": "alice"})
    assert server.wait_run(server.start_thread_run(thread_id, {"action": "echo", "tag": "ok"}))["status"] == "succeeded"
    before = snapshot(server, thread_id)
    assert before[0]["values"]["owner"] == "alice" and len(before[0]["values"]["messages"]) == 2

    failed = server.wait_run(server.start_thread_run(thread_id, {"action": "explode"}))
    assert failed["status"] == "failed" and failed["error"]["type"] == "ValueError"
    assert snapshot(server, thread_id) == before

    sleeping = server.start_thread_run(thread_id, {"action": "sleep", "seconds": 60})
    server.wait_status(sleeping, "running")
    code, canceled = server.json("POST", f"/v1/runs/{sleeping}/cancel")
    assert code == 200 and canceled["status"] == "canceled"
    assert snapshot(server, thread_id) == before

    # A pending run canceled before it started, behind a queued one, changes nothing either.
    holder = server.start_thread_run(thread_id, {"action": "sleep", "seconds": 60})
    queued = server.start_thread_run(thread_id, {"action": "echo", "tag": "queued"}, multitask_strategy="enqueue")
    assert server.json("POST", f"/v1/runs/{queued}/cancel")[1]["status"] == "canceled"
    assert server.json("POST", f"/v1/runs/{holder}/cancel")[1]["status"] == "canceled"
    assert snapshot(server, thread_id) == before


def test_a_fork_equals_its_checkpoint_and_leaves_the_original_alone(server, probe):
    thread_id = server.create_thread(probe, values={"n": 0})
    server.wait_run(server.start_thread_run(thread_id, {"action": "echo", "tag": "one"}))
    first_checkpoint = server.json("GET", f"/v1/threads/{thread_id}/state")[1]["checkpoint_id"]
    server.wait_run(server.start_thread_run(thread_id, {"action": "echo", "tag": "two"}))
    original = server.json("GET", f"/v1/threads/{thread_id}")[1]
    original_history = server.json("GET", f"/v1/threads/{thread_id}/history")[1]
    checkpoint = server.json("GET", f"/v1/threads/{thread_id}/checkpoints/{first_checkpoint}")[1]

    code, fork = server.json("POST", f"/v1/threads/{thread_id}/fork", {"checkpoint_id": first_checkpoint})
    assert code == 201, fork
    assert fork["values"] == checkpoint["values"]
    assert server.json("GET", f"/v1/threads/{fork['id']}/state")[1]["values"] == checkpoint["values"]
    assert server.json("GET", f"/v1/threads/{fork['id']}/history")[1]["data"][0]["parent_checkpoint_id"] == first_checkpoint

    server.wait_run(server.start_thread_run(fork["id"], {"action": "echo", "tag": "forked"}))
    fork_messages = server.json("GET", f"/v1/threads/{fork['id']}/state")[1]["values"]["messages"]
    assert [json.loads(m["content"])["tag"] for m in fork_messages if m["role"] == "user"] == ["one", "forked"]
    assert server.json("GET", f"/v1/threads/{thread_id}")[1] == original
    assert server.json("GET", f"/v1/threads/{thread_id}/history")[1] == original_history


def test_bad_input_is_a_clear_4xx_and_changes_nothing(server, probe):
    thread_id = server.create_thread(probe, values={"kept": True})
    before = snapshot(server, thread_id)
    threads_before = server.json("GET", "/v1/threads?limit=100")[1]["data"]
    server.create_project("foreign")
    code, key = server.json("POST", "/v1/keys", {"name": "foreign", "project": "foreign"})
    foreign_key = key["secret"]

    cases = [
        ("POST", "/v1/threads/thr_doesnotexist/runs", {"input": {}}, None, 404, "not-found"),
        ("GET", f"/v1/threads/{thread_id}", None, foreign_key, 404, "not-found"),
        ("POST", f"/v1/threads/{thread_id}/runs", {"input": {"action": "echo"}}, foreign_key, 404, "not-found"),
        ("POST", "/v1/threads", {"deployment_id": probe, "values": [1, 2]}, None, 400, "invalid-request"),
        ("POST", "/v1/threads", {"deployment_id": probe, "values": "text"}, None, 400, "invalid-request"),
        ("POST", "/v1/threads", {"deployment_id": probe, "values": {"big": "x" * (1024 * 1024)}}, None, 413, "payload-too-large"),
        ("POST", "/v1/threads", {"deployment_id": probe}, foreign_key, 404, "not-found"),
        ("POST", f"/v1/threads/{thread_id}/runs", {"input": "hello"}, None, 400, "invalid-request"),
        ("POST", f"/v1/threads/{thread_id}/runs", {"input": {}, "multitask_strategy": "interrupt"}, None, 400, "invalid-request"),
        ("POST", f"/v1/threads/{thread_id}/runs", {"message": "no input field"}, None, 400, "invalid-request"),
        ("DELETE", f"/v1/threads/{thread_id}", None, foreign_key, 404, "not-found"),
    ]
    for method, path, body, key, status, slug in cases:
        code, raw, headers = server.request(method, path, body, key=key)
        assert code == status, (method, path, code, raw)
        assert headers.get("Content-Type", "").startswith("application/problem+json"), headers
        problem = json.loads(raw)
        assert problem["type"] == f"https://crewship.dev/problems/{slug}" and problem["detail"], problem

    assert snapshot(server, thread_id) == before
    assert server.json("GET", "/v1/threads?limit=100")[1]["data"] == threads_before
    assert server.json("GET", f"/v1/threads/{thread_id}/runs")[1]["data"] == []


def test_kill9_mid_run_leaves_no_thread_busy_after_restart(tmp_path):
    srv = Server().start()
    try:
        dep = srv.deploy("crash-threads", crew_copy("probe", tmp_path))["id"]
        interrupted_thread = srv.create_thread(dep, values={"kept": 1})
        running = srv.start_thread_run(interrupted_thread, {"action": "sleep", "seconds": 60})
        queued = srv.start_thread_run(interrupted_thread, {"action": "echo", "tag": "after"}, multitask_strategy="enqueue")
        pending_thread = srv.create_thread(dep)
        other = srv.start_thread_run(pending_thread, {"action": "sleep", "seconds": 60})
        srv.wait_status(running, "running")
        srv.wait_status(other, "running")
        values_before = srv.json("GET", f"/v1/threads/{interrupted_thread}/state")[1]["values"]

        srv.kill9()
        srv.start()

        failed = srv.wait_run(running, timeout=60)
        assert failed["status"] == "failed" and failed["error"]["type"] == "ServerRestarted", failed
        assert srv.wait_run(other, timeout=60)["error"]["type"] == "ServerRestarted"
        after = srv.wait_run(queued, timeout=120)
        assert after["status"] == "succeeded", after
        deadline = time.time() + 30
        while time.time() < deadline:
            busy = srv.json("GET", "/v1/threads?project=crash-threads&status=busy")[1]["data"]
            if not busy:
                break
            time.sleep(0.1)
        assert busy == []
        state = srv.json("GET", f"/v1/threads/{interrupted_thread}/state")[1]
        assert state["status"] == "idle"
        assert state["values"]["kept"] == values_before["kept"]
        assert [m["content"] for m in state["values"]["messages"] if m["role"] == "user"] == [
            '{"action": "echo", "tag": "after"}'], "the interrupted run saved nothing; the queued one ran after it"
        assert srv.json("GET", f"/v1/threads/{pending_thread}/history")[1]["data"] == []
        assert srv.wait_run(srv.start_thread_run(pending_thread, {"action": "echo"}))["status"] == "succeeded"
    finally:
        srv.stop()
        shutil.rmtree(srv.data, ignore_errors=True)

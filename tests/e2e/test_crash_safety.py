"""Crash safety with a real kill -9 (policy in docs/operations.md): runs that were executing are
failed with a clear reason, runs that never started are dispatched again, nothing stays
pending or running, and no sandbox outlives the server."""
import shutil
import time

from crewship_e2e import Server, crew_copy, processes_mentioning


def test_kill9_mid_run_then_restart(tmp_path):
    srv = Server(extra=["--max-concurrent-runs", "2"]).start()
    try:
        dep = srv.deploy("crash", crew_copy("probe", tmp_path))["id"]
        running = [srv.start_run({"deployment_id": dep, "input": {"action": "sleep", "seconds": 60}})["id"] for _ in range(2)]
        deadline = time.time() + 60
        while any(srv.json("GET", f"/v1/runs/{r}")[1]["status"] != "running" for r in running):
            assert time.time() < deadline, "runs did not start"
            time.sleep(0.1)
        pending = [srv.start_run({"deployment_id": dep, "input": {"action": "echo", "tag": f"p{i}"}})["id"] for i in range(3)]
        assert all(srv.json("GET", f"/v1/runs/{r}")[1]["status"] == "pending" for r in pending)

        srv.kill9()
        deadline = time.time() + 15
        while processes_mentioning(srv.data) and time.time() < deadline:
            time.sleep(0.2)
        assert processes_mentioning(srv.data) == [], "sandboxes must die with the server"

        srv.start()
        for r in running:
            run = srv.wait_run(r, timeout=60)
            assert run["status"] == "failed", run
            assert run["error"]["type"] == "ServerRestarted" and run["error"]["message"]
            code, events = srv.json("GET", f"/v1/runs/{r}/events", headers={"Accept": "application/json"})
            seqs = [e["seq"] for e in events["data"]]
            assert seqs == list(range(1, len(seqs) + 1)) and events["data"][-1]["type"] == "run.failed"
        for i, r in enumerate(pending):
            run = srv.wait_run(r, timeout=120)
            assert run["status"] == "succeeded", run
            assert run["output"]["tag"] == f"p{i}"
        code, unfinished = srv.json("GET", "/v1/runs?project=crash&status=running")
        assert unfinished["data"] == []
        code, unfinished = srv.json("GET", "/v1/runs?project=crash&status=pending")
        assert unfinished["data"] == []
    finally:
        srv.stop()
        shutil.rmtree(srv.data, ignore_errors=True)

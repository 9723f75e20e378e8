"""Isolation promises: parallel runs see only their own input, artifacts and project env vars; a crew
that attacks the host or its neighbours fails cleanly while the server and other runs carry on."""
import os
import time
from concurrent.futures import ThreadPoolExecutor

from crewship_e2e import crew_copy


def test_fifty_parallel_runs_each_see_only_their_own(server, tmp_path):
    deps = {}
    for project in ("iso-a", "iso-b"):
        deps[project] = server.deploy(project, crew_copy("probe", tmp_path / project))["id"]
        code, _ = server.json("PATCH", f"/v1/projects/{project}/env", {"vars": {"PROJECT_SECRET": f"value-of-{project}"}})
        assert code == 200

    def one(i):
        project = "iso-a" if i % 2 else "iso-b"
        run = server.start_run({"deployment_id": deps[project], "input": {"action": "echo", "tag": f"tag-{i}", "sleep": 1}})
        return i, project, run["id"]

    with ThreadPoolExecutor(50) as pool:
        started = list(pool.map(one, range(50)))
    for i, project, run_id in started:
        run = server.wait_run(run_id, timeout=300)
        assert run["status"] == "succeeded", run
        assert run["output"]["tag"] == f"tag-{i}"
        assert run["output"]["artifacts"] == ["nested", "tag.txt"]
        code, body, _ = server.request("GET", f"/v1/runs/{run_id}/artifacts/tag.txt")
        assert body.decode() == f"tag-{i}"

    for project in ("iso-a", "iso-b"):
        run = server.run(deps[project], {"action": "env", "name": "PROJECT_SECRET"})
        assert run["status"] == "succeeded"
        # Output is redacted with the run's own project's values only: the marker proves the crew saw
        # exactly its project's value (another project's value would not be redacted and would show).
        assert run["output"]["value"] == "[REDACTED:PROJECT_SECRET]", run["output"]
        assert "PROJECT_SECRET" in run["output"]["names"]
        assert "JAVA_HOME" not in run["output"]["names"] and "CREWSHIP_API_KEY" not in run["output"]["names"]


def test_crew_cannot_read_the_server_data_dir(server, probe):
    for path in (f"{server.data}/admin-key", f"{server.data}/crewship.db", "/etc/shadow", "/root/.bashrc"):
        run = server.run(probe, {"action": "read", "path": path})
        assert run["status"] == "failed", (path, run)
        assert run["error"]["type"] in ("FileNotFoundError", "PermissionError"), run["error"]
        assert run["error"]["message"]


def test_crew_cannot_read_another_runs_artifacts(server, probe):
    victim = server.start_run({"deployment_id": probe, "input": {"action": "echo", "tag": "private", "sleep": 4}})["id"]
    # The thief reads while the victim's file is there (the crew writes it, then sleeps), not after a fixed
    # pause that a busy machine can outlast in either direction.
    target = f"{server.data}/runs/{victim}/artifacts/tag.txt"
    deadline = time.time() + 60
    while not os.path.exists(target):
        assert time.time() < deadline, f"run {victim} never wrote {target}: {server.json('GET', f'/v1/runs/{victim}')[1]}"
        time.sleep(0.05)
    thief = server.run(probe, {"action": "read", "path": target})
    assert thief["status"] == "failed", thief
    listing = server.run(probe, {"action": "list", "path": "/app/artifacts"})
    assert listing["output"]["entries"] == []
    assert server.wait_run(victim)["status"] == "succeeded"


def test_crew_has_no_network_by_default(server, probe):
    run = server.run(probe, {"action": "connect", "port": server.port})
    assert run["status"] == "failed", run
    assert run["error"]["type"] in ("ConnectionRefusedError", "OSError", "TimeoutError", "socket.timeout"), run["error"]


def test_fork_bomb_fails_the_run_and_the_server_carries_on(server, probe):
    bystander = server.start_run({"deployment_id": probe, "input": {"action": "echo", "tag": "bystander", "sleep": 3}})
    run = server.run(probe, {"action": "forkbomb"}, timeout=120)
    assert run["status"] == "failed", run
    assert run["error"]["message"]
    assert server.wait_run(bystander["id"])["status"] == "succeeded"
    assert server.run(probe, {"action": "version"})["status"] == "succeeded"


def test_memory_exhaustion_fails_the_run_clearly(server, probe):
    run = server.run(probe, {"action": "memory"}, timeout=120)
    assert run["status"] == "failed", run
    assert "memory" in (run["error"]["type"] + run["error"]["message"]).lower(), run["error"]
    assert server.run(probe, {"action": "version"})["status"] == "succeeded"


def test_cancel_kills_a_running_crew(server, probe):
    run = server.start_run({"deployment_id": probe, "input": {"action": "sleep", "seconds": 60}})
    deadline = time.time() + 30
    while server.json("GET", f"/v1/runs/{run['id']}")[1]["status"] != "running":
        assert time.time() < deadline
        time.sleep(0.1)
    code, body = server.json("POST", f"/v1/runs/{run['id']}/cancel")
    assert code == 200
    final = server.wait_run(run["id"], timeout=30)
    assert final["status"] == "canceled"
    code, events = server.json("GET", f"/v1/runs/{run['id']}/events", headers={"Accept": "application/json"})
    assert events["data"][-1]["type"] == "run.canceled"
    code, body = server.json("POST", f"/v1/runs/{run['id']}/cancel")
    assert code == 409


def test_secret_values_are_redacted_from_logs_and_errors(server, tmp_path):
    dep = server.deploy("redact", crew_copy("probe", tmp_path))["id"]
    server.json("PATCH", "/v1/projects/redact/env", {"vars": {"OPENAI_API_KEY": "sk-very-secret-123"}})
    run = server.run(dep, {"action": "print_env", "name": "OPENAI_API_KEY"})
    assert run["status"] == "failed"
    code, raw, _ = server.request("GET", f"/v1/runs/{run['id']}/events", headers={"Accept": "application/json"})
    code2, raw_run, _ = server.request("GET", f"/v1/runs/{run['id']}")
    assert b"sk-very-secret-123" not in raw and b"sk-very-secret-123" not in raw_run
    assert b"REDACTED" in raw
    code, env = server.json("GET", "/v1/projects/redact/env")
    assert env["data"][0]["name"] == "OPENAI_API_KEY" and "sk-very" not in str(env)

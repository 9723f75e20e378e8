"""Deployments are immutable; rollback only moves the project's current pointer (no rebuild)."""
from crewship_e2e import crew_copy


def set_version(folder, version):
    with open(f"{folder}/version.py", "w") as f:
        f.write(f'VERSION = "{version}"\n')


def test_deploy_v1_v2_then_rollback_runs_v1_without_rebuild(server, tmp_path):
    folder = crew_copy("probe", tmp_path)
    set_version(folder, "v1")
    v1 = server.deploy("versions", folder)
    set_version(folder, "v2")
    v2 = server.deploy("versions", folder)
    assert v1["status"] == v2["status"] == "ready"
    assert v2["environment_reused"] is True, "same dependencies reuse the environment"

    run = server.wait_run(server.start_run({"project": "versions", "input": {"action": "version"}})["id"])
    assert run["output"]["version"] == "v2" and run["deployment_id"] == v2["id"]

    code, before = server.json("GET", "/v1/projects/versions/deployments")
    log_before = server.request("GET", f"/v1/deployments/{v1['id']}/logs")[1]
    code, project = server.json("POST", "/v1/projects/versions/rollback", {"deployment_id": v1["id"]})
    assert code == 200 and project["current_deployment_id"] == v1["id"]
    code, after = server.json("GET", "/v1/projects/versions/deployments")
    assert [d["id"] for d in after["data"]] == [d["id"] for d in before["data"]], "no new deployment (no rebuild)"
    assert server.request("GET", f"/v1/deployments/{v1['id']}/logs")[1] == log_before, "v1 was not rebuilt"

    run = server.wait_run(server.start_run({"project": "versions", "input": {"action": "version"}})["id"])
    assert run["output"]["version"] == "v1" and run["deployment_id"] == v1["id"]
    # the explicit deployment id still runs v2: deployments are immutable
    run = server.run(v2["id"], {"action": "version"})
    assert run["output"]["version"] == "v2"

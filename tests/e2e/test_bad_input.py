"""Bad input gets a 4xx application/problem+json (or a failed build with its log) and changes nothing else."""
import json
import os

import pytest

from crewship_e2e import MALICIOUS_BUNDLES, PROBE_TOML, crew_copy, file_entry, probe_entries, tar_gz_of


def snapshot(server, project):
    runs = server.json("GET", f"/v1/runs?project={project}&limit=100")[1]
    deps = server.json("GET", f"/v1/projects/{project}/deployments?limit=100")[1]
    proj = server.json("GET", f"/v1/projects/{project}")[1]
    return ([r["id"] for r in runs["data"]], [d["id"] for d in deps["data"]], proj["current_deployment_id"])


def assert_problem(code, raw, headers, status):
    assert code == status, (code, raw[:300])
    assert headers["Content-Type"].startswith("application/problem+json"), headers
    body = json.loads(raw)
    assert body["status"] == status and body["type"].startswith("https://crewship.dev/problems/") and body["detail"]
    assert "Exception" not in body["detail"] and "at dev.crewship" not in raw.decode()
    return body


def test_bad_run_requests_are_rejected_and_change_nothing(server, probe):
    before = snapshot(server, "probe")
    cases = [
        (b'{"deployment_id": ', 400),
        (b'[1, 2]', 400),
        (json.dumps({"deployment_id": "dep_doesnotexist", "input": {}}).encode(), 404),
        (json.dumps({"deployment_id": probe, "input": "not an object"}).encode(), 400),
        (json.dumps({"deployment_id": probe, "input": {}, "surprise": 1}).encode(), 400),
        (json.dumps({"input": {}}).encode(), 400),
        (json.dumps({"deployment_id": probe, "input": {"big": "x" * (2 * 1024 * 1024)}}).encode(), 413),
    ]
    for raw, status in cases:
        code, body, headers = server.request("POST", "/v1/runs", raw=raw, headers={"Content-Type": "application/json"})
        assert_problem(code, body, headers, status)
    assert snapshot(server, "probe") == before


def test_foreign_deployment_looks_missing(server, probe):
    server.create_project("outsider")
    code, key = server.json("POST", "/v1/keys", {"name": "outsider-key", "project": "outsider"})
    assert code == 201
    before = snapshot(server, "probe")
    code, raw, headers = server.request("POST", "/v1/runs", {"deployment_id": probe, "input": {}}, key=key["secret"])
    assert_problem(code, raw, headers, 404)
    code, raw, headers = server.request("GET", "/v1/projects/probe", key=key["secret"])
    assert_problem(code, raw, headers, 404)
    assert snapshot(server, "probe") == before


# The malicious corpus is shared with reliability/bad_input.py; these are merely invalid crews.
INVALID = {
    "missing crewship.toml": lambda: tar_gz_of([file_entry("probe.py", b"def kickoff(i): pass\n")]),
    "invalid toml": lambda: tar_gz_of([file_entry("crewship.toml", b"[deployment\nentrypoint=")] + probe_entries()[1:]),
    "missing entrypoint module": lambda: tar_gz_of([file_entry("crewship.toml", PROBE_TOML.replace(b"probe:", b"nowhere:"))]),
    "unknown toml key": lambda: tar_gz_of([file_entry("crewship.toml", PROBE_TOML + b'[runtime]\nmemroy_mb = 10\n')] + probe_entries()[1:]),
    "bad framework": lambda: tar_gz_of([file_entry("crewship.toml", PROBE_TOML.replace(b'"crewai"', b'"django"'))] + probe_entries()[1:]),
}
MALICIOUS = {**MALICIOUS_BUNDLES, **INVALID}


@pytest.mark.parametrize("case", sorted(MALICIOUS))
def test_malicious_or_invalid_bundles_are_rejected(server, probe, case):
    before = snapshot(server, "probe")
    code, raw, headers = server.request("POST", "/v1/projects/probe/deployments", raw=MALICIOUS[case](),
                                        headers={"Content-Type": "application/gzip"}, timeout=120)
    assert code in (400, 413, 422), (case, code, raw[:300])
    assert_problem(code, raw, headers, code)
    assert snapshot(server, "probe") == before
    assert not os.path.exists("/etc/evil.py") and not os.path.exists("/tmp/crewship-evil.py")


def test_dependency_install_failure_is_a_failed_build_with_its_log(server, probe, tmp_path):
    folder = crew_copy("probe", tmp_path)
    with open(os.path.join(folder, "requirements.txt"), "w") as f:
        f.write("crewship-this-package-does-not-exist==9.9.9\n")
    before = snapshot(server, "probe")
    code, raw, _ = server.upload("probe", folder)
    assert code == 202
    dep = server.wait_deployment(json.loads(raw)["id"])
    assert dep["status"] == "failed" and dep["error"]
    code, log, _ = server.request("GET", f"/v1/deployments/{dep['id']}/logs")
    assert b"crewship-this-package-does-not-exist" in log
    after = snapshot(server, "probe")
    assert after[2] == before[2], "a failed build never becomes current"
    code, raw, headers = server.request("POST", "/v1/runs", {"deployment_id": dep["id"], "input": {}})
    assert_problem(code, raw, headers, 409)

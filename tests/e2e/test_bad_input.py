"""Bad input gets a 4xx application/problem+json (or a failed build with its log) and changes nothing else."""
import io
import json
import os
import tarfile

import pytest

from crewship_e2e import crew_copy

GOOD_TOML = b'[deployment]\nframework = "crewai"\nentrypoint = "probe:kickoff"\npython = "3.11"\n'


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


def tar_of(entries):
    """entries: list of (TarInfo, bytes|None)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for info, data in entries:
            if data is not None:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info)
    return buf.getvalue()


def file_entry(name, data):
    info = tarfile.TarInfo(name)
    info.mode = 0o644
    return info, data


def special(name, kind, target=""):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info, None


def base_entries():
    return [file_entry("crewship.toml", GOOD_TOML), file_entry("probe.py", b"def kickoff(inputs):\n    return inputs\n")]


def bomb():
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", compresslevel=1) as tar:
        for info, data in base_entries():
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        info = tarfile.TarInfo("zeros.bin")
        info.size = 600 * 1024 * 1024
        chunk = b"\0" * (1024 * 1024)

        class Zeros(io.RawIOBase):
            left = info.size

            def readable(self):
                return True

            def readinto(self, b):
                n = min(len(b), self.left, len(chunk))
                b[:n] = chunk[:n]
                self.left -= n
                return n

        tar.addfile(info, io.BufferedReader(Zeros()))
    return buf.getvalue()


MALICIOUS = {
    "parent traversal": lambda: tar_of(base_entries() + [file_entry("../evil.py", b"x")]),
    "nested traversal": lambda: tar_of(base_entries() + [file_entry("pkg/../../evil.py", b"x")]),
    "absolute path": lambda: tar_of(base_entries() + [file_entry("/etc/evil.py", b"x")]),
    "symlink outside": lambda: tar_of(base_entries() + [special("passwd", tarfile.SYMTYPE, "/etc/passwd")]),
    "relative symlink outside": lambda: tar_of(base_entries() + [special("up", tarfile.SYMTYPE, "../../..")]),
    "hard link outside": lambda: tar_of(base_entries() + [special("hard", tarfile.LNKTYPE, "../../etc/passwd")]),
    "device": lambda: tar_of(base_entries() + [special("dev", tarfile.CHRTYPE)]),
    "fifo": lambda: tar_of(base_entries() + [special("pipe", tarfile.FIFOTYPE)]),
    "archive bomb": bomb,
    "not gzip": lambda: b"this is not a tarball",
    "missing crewship.toml": lambda: tar_of([file_entry("probe.py", b"def kickoff(i): pass\n")]),
    "invalid toml": lambda: tar_of([file_entry("crewship.toml", b"[deployment\nentrypoint=")] + base_entries()[1:]),
    "missing entrypoint module": lambda: tar_of([file_entry("crewship.toml", GOOD_TOML.replace(b"probe:", b"nowhere:"))]),
    "unknown toml key": lambda: tar_of([file_entry("crewship.toml", GOOD_TOML + b'[runtime]\nmemroy_mb = 10\n')] + base_entries()[1:]),
    "bad framework": lambda: tar_of([file_entry("crewship.toml", GOOD_TOML.replace(b'"crewai"', b'"django"'))] + base_entries()[1:]),
}


@pytest.mark.parametrize("case", sorted(MALICIOUS))
def test_malicious_or_invalid_bundles_are_rejected(server, probe, case):
    before = snapshot(server, "probe")
    code, raw, headers = server.request("POST", "/v1/projects/probe/deployments", raw=MALICIOUS[case](),
                                        headers={"Content-Type": "application/gzip"}, timeout=120)
    assert code in (400, 413, 422), (case, code, raw[:300])
    assert_problem(code, raw, headers, code)
    assert snapshot(server, "probe") == before
    assert not os.path.exists("/etc/evil.py")


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

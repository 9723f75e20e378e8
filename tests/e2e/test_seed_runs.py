"""The seed's run promises, replayed with the seed's own curl command lines against examples/hello.
Only the host, the API key and the ids are substituted; every flag and body is the seed's."""
import hashlib
import json
import subprocess

from crewship_e2e import crew_copy, sse_events

SEED_CREATE_RUN = """curl -X POST https://api.crewship.dev/v1/runs \\
  -H "Authorization: Bearer YOUR_API_KEY" \\
  -H "Content-Type: application/json" \\
  -d '{"deployment_id": "dep_abc123", "input": {"topic": "AI agents"}}'"""

SEED_STREAM_EVENTS = """curl -N https://api.crewship.dev/v1/runs/run_xyz789/events \\
  -H "Authorization: Bearer YOUR_API_KEY" \\
  -H "Accept: text/event-stream\""""


def seed_command(text, server, dep=None, run=None):
    text = text.replace("https://api.crewship.dev", server.url).replace("YOUR_API_KEY", server.key)
    if dep:
        text = text.replace("dep_abc123", dep)
    if run:
        text = text.replace("run_xyz789", run)
    p = subprocess.run(["bash", "-c", text + " -sS"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_seed_run_streams_events_and_artifact_downloads(server, tmp_path):
    dep = server.deploy("hello", crew_copy("hello", tmp_path))
    assert dep["status"] == "ready"

    created = json.loads(seed_command(SEED_CREATE_RUN, server, dep=dep["id"]))
    assert created["id"].startswith("run_")
    assert created["status"] in ("pending", "running")
    assert created["input"] == {"topic": "AI agents"}

    events = sse_events(seed_command(SEED_STREAM_EVENTS, server, run=created["id"]))
    kinds = [e[1] for e in events]
    for needed in ("run.started", "log", "agent.started", "artifact", "run.completed"):
        assert needed in kinds, kinds
    assert kinds[0] == "run.started" and kinds[-1] == "run.completed"
    assert kinds.index("agent.started") < kinds.index("artifact") < kinds.index("run.completed")
    ids = [int(e[0]) for e in events]
    assert ids == list(range(1, len(ids) + 1)), "sequence numbers start at 1 with no gaps"
    done = events[-1][2]
    assert isinstance(done["duration_ms"], int) and done["duration_ms"] >= 0
    art = next(e[2] for e in events if e[1] == "artifact")
    assert art["name"] == "report.md" and art["size"] > 0
    assert any("AI agents" in e[2]["message"] for e in events if e[1] == "log")

    code, run = server.json("GET", f"/v1/runs/{created['id']}")
    assert run["status"] == "succeeded" and run["output"] is not None
    code, listing = server.json("GET", f"/v1/runs/{created['id']}/artifacts")
    [meta] = [a for a in listing["data"] if a["name"] == "report.md"]
    code, body, headers = server.request("GET", f"/v1/runs/{created['id']}/artifacts/report.md")
    assert code == 200 and len(body) == meta["size"] == art["size"]
    assert hashlib.sha256(body).hexdigest() == meta["sha256"]
    assert b"AI agents" in body


def test_late_subscriber_replays_and_resumes_after_last_event_id(server, probe):
    run = server.run(probe, {"action": "echo", "tag": "late"})
    full = sse_events(server.curl("-N", f"{server.url}/v1/runs/{run['id']}/events",
                                  "-H", f"Authorization: Bearer {server.key}", "-H", "Accept: text/event-stream"))
    assert full[0][1] == "run.started" and full[-1][1] == "run.completed"
    resumed = sse_events(server.curl("-N", f"{server.url}/v1/runs/{run['id']}/events",
                                     "-H", f"Authorization: Bearer {server.key}", "-H", "Accept: text/event-stream",
                                     "-H", "Last-Event-ID: 2"))
    assert [e[0] for e in resumed] == [e[0] for e in full[2:]]
    code, listed = server.json("GET", f"/v1/runs/{run['id']}/events", headers={"Accept": "application/json"})
    assert [e["type"] for e in listed["data"]] == [e[1] for e in full]


def test_artifacts_are_byte_exact_including_nested_folders(server, probe):
    run = server.run(probe, {"action": "echo", "tag": "ünïcode ✓"})
    assert run["status"] == "succeeded", run
    code, listing = server.json("GET", f"/v1/runs/{run['id']}/artifacts")
    assert sorted(a["name"] for a in listing["data"]) == ["nested/deep.json", "tag.txt"]
    code, body, _ = server.request("GET", f"/v1/runs/{run['id']}/artifacts/tag.txt")
    assert body == "ünïcode ✓".encode()
    code, body, headers = server.request("GET", f"/v1/runs/{run['id']}/artifacts/nested/deep.json")
    assert code == 200 and json.loads(body) == {"tag": "ünïcode ✓"}
    assert "json" in headers.get("Content-Type", "")


def test_wrong_key_is_401_problem(server, probe):
    code, raw, headers = server.request("POST", "/v1/runs", {"deployment_id": probe, "input": {}}, key="csk_nope")
    assert code == 401
    assert headers["Content-Type"].startswith("application/problem+json")
    assert json.loads(raw)["status"] == 401

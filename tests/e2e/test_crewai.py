"""Real CrewAI projects through the real server: deployed unchanged (CrewAI installed by the server's
environment build, offline from the wheels scripts/install-deps.sh caches), run in bubblewrap
sandboxes against the fake LLM on 127.0.0.1.

The sandbox reaches the fake LLM because these crews have `[runtime] network = true`, which shares
the server's network namespace (loopback included); without it a run has its own, empty, network."""
import json
import os
import shutil
import subprocess
import sys
import threading
import time

import pytest

from crewship_e2e import CLI, ROOT, Server, crew_copy, sse_events

sys.path.insert(0, os.path.join(ROOT, "tools", "fake-llm"))
from fake_llm import FakeLLM, Rules  # noqa: E402

RULES = os.path.join(ROOT, "tools", "fake-llm", "rules")
CACHE = os.environ.get("CREWSHIP_CACHE_DIR") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "crewship")
CREWAI_VERSION = "1.15.30"
WHEELHOUSE = os.path.join(CACHE, "wheels", f"crewai-{CREWAI_VERSION}")
RUN_TIMEOUT = 240


@pytest.fixture(scope="module")
def crewai_server():
    """A server whose environment builds find CrewAI in the cached wheels and never reach an index."""
    if not os.path.exists(os.path.join(WHEELHOUSE, ".complete")):
        pytest.fail(f"no cached CrewAI wheels at {WHEELHOUSE}: run scripts/install-deps.sh")
    srv = Server(env={"UV_OFFLINE": "1", "UV_FIND_LINKS": WHEELHOUSE, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": WHEELHOUSE})
    srv.start()
    yield srv
    srv.stop()
    shutil.rmtree(srv.data, ignore_errors=True)  # its CrewAI environment alone is about 1 GB


@pytest.fixture(scope="module")
def llms():
    servers = {}

    def start(name, rules):
        if name not in servers:
            server = FakeLLM(Rules(rules))
            threading.Thread(target=server.serve_forever, daemon=True).start()
            servers[name] = server
        return servers[name]

    yield start
    for server in servers.values():
        server.shutdown()
        server.server_close()


def rules(name):
    with open(os.path.join(RULES, name)) as file:
        return json.load(file)


def deploy(server, project, folder, llm):
    server.create_project(project)
    code, _ = server.json("PATCH", f"/v1/projects/{project}/env", {"vars": {
        "OPENAI_API_KEY": "fake-key", "OPENAI_BASE_URL": llm.base_url, "MODEL": "gpt-4o-mini"}})
    assert code == 200
    dep = server.deploy(project, folder, timeout=600)
    if dep["status"] != "ready":
        pytest.fail(server.request("GET", f"/v1/deployments/{dep['id']}/logs")[1].decode())
    return dep["id"]


def stream(server, run_id):
    return sse_events(server.curl("-N", f"{server.url}/v1/runs/{run_id}/events", "-H",
                                  f"Authorization: Bearer {server.key}", "-H", "Accept: text/event-stream"))


@pytest.fixture(scope="module")
def research(crewai_server, llms, tmp_path_factory):
    llm = llms("research", rules("research-crew.json"))
    return deploy(crewai_server, "research-crew", crew_copy("research-crew", tmp_path_factory.mktemp("rc")), llm)


def test_research_crew_streams_agents_tools_and_its_report(crewai_server, research):
    run = crewai_server.start_run({"deployment_id": research, "input": {"topic": "AI agents"}})

    events = stream(crewai_server, run["id"])

    kinds = [kind for _, kind, _ in events]
    wanted = ["run.started", "agent.started", "tool.called", "agent.completed", "artifact", "run.completed"]
    positions = [kinds.index(kind) for kind in wanted]
    assert positions == sorted(positions), kinds
    assert kinds[0] == "run.started" and kinds[-1] == "run.completed"
    first_agent = next(data for _, kind, data in events if kind == "agent.started")
    assert first_agent == {"agent": "AI agents Senior Data Researcher", "task": "research_task"}
    tool = next(data for _, kind, data in events if kind == "tool.called")
    assert tool["tool"] == "notes_search" and tool["args"] == {"query": "AI agents"}
    assert [data for _, kind, data in events if kind == "artifact"][0]["name"] == "report.md"
    assert kinds.count("agent.started") == kinds.count("agent.completed") == 2
    assert kinds.index("tool.called") < kinds.index("agent.completed")

    code, done = crewai_server.json("GET", f"/v1/runs/{run['id']}")
    assert done["status"] == "succeeded", done["error"]
    output = done["output"]
    assert output["raw"].startswith("# Report: AI agents\n")
    usage = output["token_usage"]
    calls = [data["usage"] for _, kind, data in events if kind == "llm.completed"]
    assert usage["successful_requests"] == len(calls) == 3
    assert usage["total_tokens"] == sum(call["total_tokens"] for call in calls) > 0
    code, body, _ = crewai_server.request("GET", f"/v1/runs/{run['id']}/artifacts/report.md")
    assert code == 200 and body.decode() == output["raw"]
    # The project's usage counts the tokens all its runs' llm.completed events reported.
    code, project_usage = crewai_server.json("GET", "/v1/projects/research-crew/usage")
    code, runs = crewai_server.json("GET", "/v1/runs?project=research-crew&limit=100")
    expected = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
    for each in runs["data"]:
        code, listed = crewai_server.json("GET", f"/v1/runs/{each['id']}/events", headers={"Accept": "application/json"})
        for event in (e for e in listed["data"] if e["type"] == "llm.completed"):
            for key in expected:
                expected[key] += event["data"]["usage"][key]
    assert project_usage["tokens"] == expected and expected["total_tokens"] >= usage["total_tokens"]


def test_flow_result_is_the_flows_result(crewai_server, llms, tmp_path):
    llm = llms("flow", rules("flow.json"))
    dep = deploy(crewai_server, "research-flow", crew_copy("flow", tmp_path), llm)

    run = crewai_server.run(dep, {"topic": "AI agents", "audience": "students"}, timeout=RUN_TIMEOUT)

    assert run["status"] == "succeeded", run["error"]
    assert run["output"] == {"topic": "AI agents", "word_count": 19, "summary": (
        "Agents pair a language model with tools. Crews give each agent one role. Flows chain crews with shared state.")}
    code, listed = crewai_server.json("GET", f"/v1/runs/{run['id']}/events", headers={"Accept": "application/json"})
    methods = [e["data"]["method"] for e in listed["data"] if e["type"] == "flow.method.started"]
    assert methods == ["pick_topic", "summarize", "publish"]


def carries_on(server, research):
    code, _ = server.json("GET", "/health")
    assert code == 200
    again = server.run(research, {"topic": "AI agents"}, timeout=RUN_TIMEOUT)
    assert again["status"] == "succeeded", again["error"]


def test_a_crew_whose_tool_raises_fails_clearly_and_the_server_carries_on(crewai_server, llms, research, tmp_path):
    llm = llms("stock", {"rules": [
        {"name": "count", "when": {"has_tool": "inventory"},
         "reply": {"tool_calls": [{"name": "inventory", "arguments": {"item": "widgets"}}]}}]})
    dep = deploy(crewai_server, "stock", crew_copy("crewai-tool-raises", tmp_path), llm)

    run = crewai_server.run(dep, {"item": "widgets"}, timeout=RUN_TIMEOUT)

    assert run["status"] == "failed"
    assert "inventory service unreachable while counting widgets" in run["error"]["message"], run["error"]
    assert "stock.py" in run["error"]["traceback"]
    events = stream(crewai_server, run["id"])
    assert events[-1][1] == "run.failed" and "inventory service unreachable" in events[-1][2]["error"]["message"]
    assert any(kind == "tool.failed" and data["tool"] == "inventory" for _, kind, data in events)
    carries_on(crewai_server, research)


def test_a_crew_whose_llm_answers_errors_fails_clearly_and_the_server_carries_on(crewai_server, llms, research, tmp_path):
    llm = llms("broken", {"error": {"status": 503, "message": "the model is overloaded, try later"}})
    dep = deploy(crewai_server, "broken-llm", crew_copy("research-crew", tmp_path), llm)

    run = crewai_server.run(dep, {"topic": "AI agents"}, timeout=RUN_TIMEOUT)

    assert run["status"] == "failed"
    assert "the model is overloaded, try later" in run["error"]["message"], run["error"]
    events = stream(crewai_server, run["id"])
    assert events[-1][1] == "run.failed"
    assert any(kind == "llm.failed" and "overloaded" in data["error"] for _, kind, data in events)
    carries_on(crewai_server, research)


def test_the_cli_deploys_and_streams_the_research_crew(crewai_server, llms, tmp_path):
    """The README's way: `crewship env set`, `crewship deploy`, `crewship invoke --stream`."""
    llm = llms("research", rules("research-crew.json"))
    folder = crew_copy("research-crew", tmp_path)
    env = {**os.environ, "CREWSHIP_URL": crewai_server.url, "CREWSHIP_API_KEY": crewai_server.key,
           "XDG_CONFIG_HOME": str(tmp_path / "config")}

    def cli(*args):
        return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=600, env=env, cwd=folder)

    crewai_server.create_project("research-cli")
    assert cli("env", "set", "-p", "research-cli", "OPENAI_API_KEY=fake-key", f"OPENAI_BASE_URL={llm.base_url}",
               "MODEL=gpt-4o-mini").returncode == 0
    deployed = cli("deploy", "-p", "research-cli")
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr

    invoked = cli("invoke", "-p", "research-cli", "-i", '{"topic": "AI agents"}', "--stream")

    assert invoked.returncode == 0, invoked.stdout + invoked.stderr
    shown = invoked.stdout
    for text in ("agent.started", "tool.called", "notes_search", "agent.completed", "report.md", "# Report: AI agents"):
        assert text in shown, (text, shown[-3000:])
    assert shown.index("agent.started") < shown.index("tool.called") < shown.index("report.md")


def test_llm_tokens_in_crewship_toml_stream_token_events(crewai_server, llms, tmp_path):
    llm = llms("judge", {"rules": [{"name": "verdict", "when": {"system_contains": "Judge"},
                                    "reply": "A solid pitch with a clear market."}]})
    dep = deploy(crewai_server, "judge", crew_copy("crewai-tokens", tmp_path), llm)
    code, deployment = crewai_server.json("GET", f"/v1/deployments/{dep}")
    assert deployment["config"]["llm_tokens"] is True

    run = crewai_server.run(dep, {"pitch": "drones for gardens"}, timeout=RUN_TIMEOUT)

    assert run["status"] == "succeeded", run["error"]
    events = stream(crewai_server, run["id"])
    tokens = [data["token"] for _, kind, data in events if kind == "llm.token"]
    assert len(tokens) > 1 and "".join(tokens) == "A solid pitch with a clear market." == run["output"]["raw"]
    kinds = [kind for _, kind, _ in events]
    assert kinds.index("llm.started") < kinds.index("llm.token") < kinds.index("llm.completed")


def test_warm_runs_of_the_research_crew_each_see_their_own_topic(crewai_server, research):
    """Runs forked from the deployment's warm parent, which imported CrewAI, prebuilt the crew and
    set its agents up before any run: each run's agents carry its own input."""
    log = os.path.join(crewai_server.data, "server.log")
    ready = f"warm parent of deployment {research} ready"
    deadline = time.time() + RUN_TIMEOUT
    while not any(ready in line for line in open(log, errors="replace")):
        assert time.time() < deadline, "no warm parent got ready: " + crewai_server.log_tail()
        crewai_server.run(research, {"topic": "AI agents"}, timeout=RUN_TIMEOUT)  # the first run starts it
    ready_line = next(line for line in open(log, errors="replace") if ready in line)
    assert "crew prebuilt" in ready_line and "agents set up" in ready_line, ready_line

    for topic in ("quantum sensors", "deep sea robots"):
        run = crewai_server.start_run({"deployment_id": research, "input": {"topic": topic}})
        events = stream(crewai_server, run["id"])

        agents = [data for _, kind, data in events if kind == "agent.started"]
        assert agents == [{"agent": f"{topic} Senior Data Researcher", "task": "research_task"},
                          {"agent": f"{topic} Reporting Analyst", "task": "reporting_task"}]
        assert events[-1][1] == "run.completed"
        assert not any(run["id"] in line and "starts cold" in line for line in open(log, errors="replace")), \
            "the run did not start warm"

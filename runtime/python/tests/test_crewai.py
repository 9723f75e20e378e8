"""Real CrewAI crews (the version the examples pin) run through the runtime against the fake LLM.

CrewAI is not installed in the interpreter that runs pytest: these tests run the runtime on the
virtualenv scripts/install-deps.sh builds from the cached wheels (scripts/lib/crewai.sh), as a
deployment's environment would be.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from conftest import REPO_ROOT, RUN_TIMEOUT_SECONDS, Runtime

sys.path.insert(0, str(REPO_ROOT / "tools" / "fake-llm"))
from fake_llm import FakeLLM, Rules  # noqa: E402

CREWAI_VERSION = re.search(r"CREWSHIP_CREWAI_VERSION=(\S+)", (REPO_ROOT / "scripts/lib/crewai.sh").read_text()).group(1)
CACHE = Path(os.environ.get("CREWSHIP_CACHE_DIR") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "crewship")
VENV = Path(os.environ.get("CREWSHIP_CREWAI_VENV") or CACHE / "venvs" / f"crewai-{CREWAI_VERSION}")
RULES = REPO_ROOT / "tools" / "fake-llm" / "rules"
EXAMPLES = REPO_ROOT / "examples"


@pytest.fixture(scope="module")
def crewai_python():
    python = VENV / "bin" / "python"
    if not (VENV / ".complete").exists():
        pytest.fail(f"no CrewAI virtualenv at {VENV}: run scripts/install-deps.sh (it caches crewai=={CREWAI_VERSION})")
    return str(python)


class LLM:
    """A fake LLM server on a loopback port for one test."""

    def __init__(self, rules):
        self.server = FakeLLM(Rules(rules))
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def env(self, **extra):
        return {"OPENAI_API_KEY": "fake-key", "OPENAI_BASE_URL": self.server.base_url, "MODEL": "gpt-4o-mini", **extra}

    @property
    def requests(self):
        return self.server.requests

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def llm_for():
    servers = []

    def start(rules):
        servers.append(LLM(json.loads(Path(rules).read_text()) if isinstance(rules, Path) else rules))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def example(name, tmp_path, python):
    """A copy of an example (the runtime works in it as in /app) whose artifacts folder is its ./artifacts."""
    app = tmp_path / name
    shutil.copytree(EXAMPLES / name, app, ignore=shutil.ignore_patterns("__pycache__", "artifacts"))
    runtime = Runtime(tmp_path, app=app, python=python)
    runtime.artifacts = app / "artifacts"
    return runtime


def script_report(runtime, script, *args, **env):
    """Runs a script written into the app with the runtime's Python, in the app folder as a warm parent's
    steps run there, and returns the JSON report it printed last."""
    process = subprocess.run([runtime.python, script, *args], capture_output=True, cwd=runtime.app,
                             env=runtime.env(**env), timeout=RUN_TIMEOUT_SECONDS)
    assert process.returncode == 0, process.stderr.decode()
    return json.loads(process.stdout.decode().splitlines()[-1])


def of_type(outcome, *types):
    return [(t, d) for t, d in outcome.events if t in types]


def test_examples_pin_the_cached_crewai():
    for name in ("research-crew", "flow"):
        assert f'"crewai=={CREWAI_VERSION}"' in (EXAMPLES / name / "pyproject.toml").read_text(), name


def test_research_crew_events_report_and_output(tmp_path, crewai_python, llm_for):
    llm = llm_for(RULES / "research-crew.json")
    runtime = example("research-crew", tmp_path, crewai_python)

    outcome = runtime.run("research_crew.crew:ResearchCrew", {"topic": "AI agents"}, env=llm.env())

    researcher, analyst = "AI agents Senior Data Researcher", "AI agents Reporting Analyst"
    flow = [(t, d) for t, d in of_type(outcome, "agent.started", "agent.completed", "tool.called")]
    assert [t for t, _ in flow] == ["agent.started", "tool.called", "agent.completed", "agent.started", "agent.completed"]
    assert flow[0][1] == {"agent": researcher, "task": "research_task"}
    assert flow[1][1] == {"tool": "notes_search", "args": {"query": "AI agents"}, "agent": researcher, "task": "research_task"}
    assert flow[2][1]["agent"] == researcher and flow[2][1]["output"].startswith("- Agents combine an LLM with tools")
    assert flow[3][1] == {"agent": analyst, "task": "reporting_task"}
    # Every kind, in CrewAI's order: the task wraps the agent, which wraps its LLM calls and tools.
    kinds = [t for t, _ in outcome.events if t != "log"]
    assert kinds == ["task.started", "agent.started", "llm.started", "llm.completed", "tool.called", "tool.completed",
                     "llm.started", "llm.completed", "agent.completed", "task.completed",
                     "task.started", "agent.started", "llm.started", "llm.completed", "agent.completed", "task.completed"]
    tool_done = of_type(outcome, "tool.completed")[0][1]
    assert tool_done["output"].count("\n") == 2 and tool_done["from_cache"] is False

    report = (runtime.artifacts / "report.md").read_text()
    assert report.startswith("# Report: AI agents\n")
    output = outcome.result
    assert output["raw"] == report
    assert [t["name"] for t in output["tasks_output"]] == ["research_task", "reporting_task"]
    assert output["tasks_output"][0]["raw"] == tool_done["output"]
    assert output["json_dict"] is None and output["pydantic"] is None

    # Token usage: what the fake LLM counted, call by call, as llm.completed events and in the output.
    calls = [d for t, d in outcome.events if t == "llm.completed"]
    assert [c["finish_reason"] for c in calls] == ["tool_calls", "stop", "stop"]
    assert all(c["model"] == "gpt-4o-mini" and c["usage"]["total_tokens"] > 0 for c in calls)
    assert output["token_usage"]["total_tokens"] == sum(c["usage"]["total_tokens"] for c in calls)
    assert output["token_usage"]["prompt_tokens"] == sum(c["usage"]["prompt_tokens"] for c in calls)
    assert output["token_usage"]["successful_requests"] == 3

    # The researcher's second call carried the tool's result back to the LLM.
    assert [r["rule"] for r in llm.requests] == ["researcher: look the topic up", "researcher: answer from the notes",
                                                "analyst: write the report"]
    tool_message = llm.requests[1]["request"]["messages"][-1]
    assert tool_message["role"] == "tool" and "Multi-agent crews split work by role" in tool_message["content"]


def test_flow_result_is_the_flows_result(tmp_path, crewai_python, llm_for):
    llm = llm_for(RULES / "flow.json")
    runtime = example("flow", tmp_path, crewai_python)

    outcome = runtime.run("research_flow.main:ResearchFlow", {"topic": "AI agents", "audience": "students"}, env=llm.env())

    summary = "Agents pair a language model with tools. Crews give each agent one role. Flows chain crews with shared state."
    assert outcome.result == {"topic": "AI agents", "summary": summary, "word_count": 19}
    assert "Topic: AI agents (for students)" in outcome.logs("stdout")
    steps = [(t, d["method"]) for t, d in of_type(outcome, "flow.method.started", "flow.method.completed")]
    assert steps == [("flow.method.started", "pick_topic"), ("flow.method.completed", "pick_topic"),
                     ("flow.method.started", "summarize"), ("flow.method.completed", "summarize"),
                     ("flow.method.started", "publish"), ("flow.method.completed", "publish")]
    kinds = [t for t, _ in outcome.events if t != "log"]
    assert kinds.index("flow.method.started") < kinds.index("agent.started") < kinds.index("agent.completed")
    assert of_type(outcome, "agent.started") == [("agent.started", {"agent": "Technical Summary Writer", "task": "summary_task"})]
    # The crew's agent was given the flow's state through its inputs.
    assert "for students" in llm.requests[0]["request"]["messages"][-1]["content"]


CREW_WITH_TOOL = """
from crewai import Agent, Crew, Task
from crewai.tools import BaseTool


class Inventory(BaseTool):
    name: str = "inventory"
    description: str = "Counts the items of a kind in stock."

    def _run(self, item: str, api_key: str = "") -> str:
        {body}


def crew():
    agent = Agent(role="Clerk", goal="Count stock", backstory="Careful.", tools=[Inventory()])
    task = Task(description="How many {{item}} are in stock?", expected_output="A number", agent=agent)
    return Crew(agents=[agent], tasks=[task], tool_failure_policy="{policy}")


def kickoff(inputs):
    return crew().kickoff(inputs=inputs)
"""

INVENTORY_RULES = {"rules": [
    {"name": "answer", "when": {"last_role": "tool"}, "reply": "There are 12 in stock."},
    {"name": "count", "when": {"has_tool": "inventory"},
     "reply": {"tool_calls": [{"name": "inventory", "arguments": {"item": "widgets", "api_key": "sk-live-123456"}}]}},
]}


def test_tool_arguments_are_redacted_by_name(tmp_path, crewai_python, llm_for):
    llm = llm_for(INVENTORY_RULES)
    runtime = Runtime(tmp_path, python=crewai_python)
    runtime.write("stock.py", CREW_WITH_TOOL.format(body="return '12'", policy="warn"))

    outcome = runtime.run("stock:kickoff", {"item": "widgets"}, env=llm.env())

    assert outcome.result["raw"] == "There are 12 in stock."
    (called,) = [d for t, d in outcome.events if t == "tool.called"]
    assert called["args"] == {"item": "widgets", "api_key": "[REDACTED]"}
    assert "sk-live-123456" not in json.dumps([d for t, d in outcome.events if t != "log"])


def test_a_tool_that_raises_fails_the_run_with_its_message(tmp_path, crewai_python, llm_for):
    llm = llm_for(INVENTORY_RULES)
    runtime = Runtime(tmp_path, python=crewai_python)
    runtime.write("stock.py", CREW_WITH_TOOL.format(body="raise RuntimeError('inventory service unreachable')",
                                                    policy="raise"))

    outcome = runtime.run("stock:kickoff", {"item": "widgets"}, env=llm.env())

    error = outcome.error
    assert "inventory service unreachable" in error["message"], error
    assert "Traceback" in error["traceback"] and "stock.py" in error["traceback"]
    assert len(error["traceback"].encode()) <= 8 * 1024
    failed = [d for t, d in outcome.events if t == "tool.failed"]
    assert failed and failed[0]["tool"] == "inventory" and "inventory service unreachable" in failed[0]["error"]
    assert [t for t, _ in outcome.events if t in ("agent.started", "agent.failed")][:1] == ["agent.started"]


def test_an_llm_that_answers_errors_fails_the_run_with_a_clear_message(tmp_path, crewai_python, llm_for):
    llm = llm_for({"error": {"status": 503, "message": "the model is overloaded, try later"}})
    runtime = example("research-crew", tmp_path, crewai_python)

    outcome = runtime.run("research_crew.crew:ResearchCrew", {"topic": "AI agents"}, env=llm.env())

    error = outcome.error
    assert "the model is overloaded, try later" in error["message"] and "503" in error["message"], error
    assert error["type"] == "openai.InternalServerError", error
    assert "crewai" in error["traceback"] and len(error["traceback"].encode()) <= 8 * 1024
    failed = [d for t, d in outcome.events if t == "llm.failed"]
    assert failed and "overloaded" in failed[0]["error"] and failed[0]["agent"] == "AI agents Senior Data Researcher"
    # CrewAI reports each failed call twice; each call is one llm.failed. Its agent retries the task.
    started = [d["call_id"] for t, d in outcome.events if t == "llm.started"]
    assert [d["call_id"] for d in failed] == started and len(set(started)) == len(started) > 1
    kinds = [t for t, _ in outcome.events if t != "log"]
    assert kinds[-1] == "task.failed" and kinds.count("agent.failed") == len(started)
    assert not (runtime.artifacts / "report.md").exists()


STRUCTURED = """
from pydantic import BaseModel
from crewai import Agent, Crew, LLM, Task


class Verdict(BaseModel):
    title: str
    score: int


def kickoff(inputs):
    llm = LLM(model="gpt-4o-mini", stream=inputs.get("stream", False))
    agent = Agent(role="Judge", goal="Judge", backstory="Fair.", llm=llm)
    task = Task(description="Judge the pitch.", expected_output="A verdict", agent=agent, output_pydantic=Verdict)
    return Crew(agents=[agent], tasks=[task]).kickoff()
"""

VERDICT_RULES = {"rules": [{"name": "verdict", "when": {"system_contains": "Judge"},
                            "reply": '{"title": "Solid pitch", "score": 8}'}]}


def test_structured_output_is_in_the_result(tmp_path, crewai_python, llm_for):
    llm = llm_for(VERDICT_RULES)
    runtime = Runtime(tmp_path, python=crewai_python)
    runtime.write("judge.py", STRUCTURED)

    outcome = runtime.run("judge:kickoff", {}, env=llm.env())

    output = outcome.result
    assert output["pydantic"] == {"title": "Solid pitch", "score": 8}
    assert output["json_dict"] is None
    assert output["tasks_output"][0]["json_dict"] is None and "pydantic" not in output["tasks_output"][0]
    assert not [t for t, _ in outcome.events if t == "llm.token"]


def test_llm_tokens_are_streamed_only_when_the_project_opts_in(tmp_path, crewai_python, llm_for):
    llm = llm_for(VERDICT_RULES)
    runtime = Runtime(tmp_path, python=crewai_python)
    runtime.write("judge.py", STRUCTURED)

    quiet = runtime.run("judge:kickoff", {"stream": True}, env=llm.env())
    streamed = runtime.run("judge:kickoff", {"stream": True}, env=llm.env(CREWSHIP_LLM_TOKENS="true"))

    assert not [t for t, _ in quiet.events if t == "llm.token"]
    tokens = [d for t, d in streamed.events if t == "llm.token"]
    assert len(tokens) > 1 and all(d["agent"] == "Judge" for d in tokens)
    assert "".join(d["token"] for d in tokens) == '{"title": "Solid pitch", "score": 8}'
    kinds = [t for t, _ in streamed.events if t != "log"]
    assert kinds.index("llm.started") < kinds.index("llm.token") and \
        len(kinds) - 1 - kinds[::-1].index("llm.token") < kinds.index("llm.completed")
    assert streamed.result["pydantic"] == {"title": "Solid pitch", "score": 8}


def test_crewai_sends_nothing_but_the_llm_calls(tmp_path, crewai_python, llm_for):
    """Telemetry and tracing are off: with every HTTP(S) client pointed at a proxy that records
    connections, only the LLM (on loopback, exempt from the proxy) is reached."""
    llm = llm_for(RULES / "research-crew.json")
    proxy = socket.create_server(("127.0.0.1", 0))
    proxy.settimeout(0.2)
    address = f"http://127.0.0.1:{proxy.getsockname()[1]}"
    runtime = example("research-crew", tmp_path, crewai_python)

    outcome = runtime.run("research_crew.crew:ResearchCrew", {"topic": "AI agents"}, env=llm.env(
        HTTP_PROXY=address, HTTPS_PROXY=address, ALL_PROXY=address, http_proxy=address, https_proxy=address,
        NO_PROXY="127.0.0.1", no_proxy="127.0.0.1"))

    assert outcome.result["raw"].startswith("# Report: AI agents")
    try:
        connection, _ = proxy.accept()
        connection.close()
        pytest.fail("something in the run tried to reach the internet through the proxy")
    except socket.timeout:
        pass
    finally:
        proxy.close()
    assert len(llm.requests) == 3


STANDALONE_AGENT = """
from crewai import Agent


def kickoff(inputs):
    agent = Agent(role="Greeter\\n", goal="Greet", backstory="Kind.")
    return agent.kickoff(f"Greet {inputs['name']}")
"""


def test_an_agent_kicked_off_without_a_crew_reports_its_events(tmp_path, crewai_python, llm_for):
    llm = llm_for({"rules": [{"name": "greet", "when": {"system_contains": "Greeter"}, "reply": "Hello, Ada!"}]})
    runtime = Runtime(tmp_path, python=crewai_python)
    runtime.write("greeter.py", STANDALONE_AGENT)

    outcome = runtime.run("greeter:kickoff", {"name": "Ada"}, env=llm.env())

    assert outcome.result["raw"] == "Hello, Ada!"
    agents = of_type(outcome, "agent.started", "agent.completed")
    assert agents == [("agent.started", {"agent": "Greeter", "task": None}),
                      ("agent.completed", {"agent": "Greeter", "task": None, "output": "Hello, Ada!"})]
    kinds = [t for t, _ in outcome.events if t != "log"]
    assert kinds == ["agent.started", "llm.started", "llm.completed", "agent.completed"]


CONCURRENT_EMITTERS = """
import contextvars
import datetime
import threading
import time

from crewai.events import Depends, ToolUsageFinishedEvent, ToolUsageStartedEvent, crewai_event_bus


class SlowText:
    '''A tool output whose str() takes a while (a large object, say): converting its event is slow.'''

    def __init__(self, text):
        self.text = text

    def __str__(self):
        time.sleep(0.02)
        return self.text


def steps(worker, count):
    for step in range(count):
        now = datetime.datetime.now()
        crewai_event_bus.emit(None, ToolUsageStartedEvent(tool_name=worker, tool_args={"step": step}, agent_role="Clerk"))
        output = SlowText(f"{worker} {step}") if step % 2 == 0 else f"{worker} {step}"
        crewai_event_bus.emit(None, ToolUsageFinishedEvent(tool_name=worker, tool_args={"step": step}, agent_role="Clerk",
                                                           started_at=now, finished_at=now, from_cache=False, output=output))


def kickoff(inputs):
    # A handler of the crew's own that others depend on: CrewAI then dispatches these events on its event loop.
    first = crewai_event_bus.on(ToolUsageStartedEvent)(lambda source, event: None)
    crewai_event_bus.on(ToolUsageStartedEvent, depends_on=Depends(first))(lambda source, event: None)
    # Threads as CrewAI starts them (with a copy of the context), and one the crew starts without it.
    workers = [threading.Thread(target=contextvars.copy_context().run, args=(steps, f"copied-{n}", 12)) for n in range(3)]
    workers.append(threading.Thread(target=steps, args=("bare", 3)))
    for worker in workers:
        worker.start()
    steps("main", 12)
    for worker in workers:
        worker.join()
    return "done"
"""


def test_events_from_concurrent_threads_keep_each_threads_order_and_none_is_lost_or_doubled(tmp_path, crewai_python):
    """CrewAI hands events to its handlers on a thread pool; a slow event (its tool output takes
    20 ms to turn into text) must not let the next event of its thread overtake it."""
    runtime = Runtime(tmp_path, python=crewai_python)
    runtime.write("emitters.py", CONCURRENT_EMITTERS)

    outcome = runtime.run("emitters:kickoff", {})

    assert outcome.result == "done"
    tools = [(d["tool"], t, d.get("output")) for t, d in outcome.events if t in ("tool.called", "tool.completed")]
    for worker, count in [("main", 12), ("copied-0", 12), ("copied-1", 12), ("copied-2", 12), ("bare", 3)]:
        mine = [(t, output) for tool, t, output in tools if tool == worker]
        expected = [pair for step in range(count)
                    for pair in (("tool.called", None), ("tool.completed", f"{worker} {step}"))]
        if worker == "bare":  # outside the run's context: every event arrives once, as the bus's handlers run
            assert sorted(mine, key=str) == sorted(expected, key=str)
        else:
            assert mine == expected, worker
    called = [d for t, d in outcome.events if t == "tool.called" and d["tool"] == "main"]
    assert [d["args"] for d in called] == [{"step": step} for step in range(12)]


PRELOAD = """
import json, os, sys, threading

from crewship_runtime import crewai_preload, loader

loader.prepare_path(os.environ["CREWSHIP_APP_DIR"])
loader.load("research_crew.crew:ResearchCrew", os.environ["CREWSHIP_APP_DIR"])
from crewai.events import AgentExecutionStartedEvent

before = (sorted(os.listdir("/proc/self/fd")), threading.active_count(), AgentExecutionStartedEvent.__pydantic_complete__)
done = crewai_preload.preload()
after = (sorted(os.listdir("/proc/self/fd")), threading.active_count(), AgentExecutionStartedEvent.__pydantic_complete__)
print(json.dumps({"done": done, "before": before, "after": after, "skills": "crewai.skills.tool" in sys.modules}))
"""


def test_a_warm_parents_preload_does_crewais_first_kickoff_work_and_keeps_nothing_open(tmp_path, crewai_python):
    runtime = example("research-crew", tmp_path, crewai_python)
    runtime.write("preload_check.py", PRELOAD)

    report = script_report(runtime, "preload_check.py", OPENAI_API_KEY="fake-key")
    # The CrewAI the examples pin still defers these: if it stops, the preload has nothing left to do here.
    assert report["before"][2] is False and report["after"][2] is True
    assert report["done"] == "CrewAI preloaded: 3 modules, 6 model schemas, 2 flow definitions" and report["skills"]
    assert report["after"][:2] == report["before"][:2], "the preload left a file open or a thread running"


PREBUILT_RUNS = """
import json, os, sys

from crewship_runtime import crewai_events, loader

app, writable, topics = os.environ["CREWSHIP_APP_DIR"], sys.argv[1], sys.argv[2:]
entrypoint = "research_crew.crew:ResearchCrew"
loader.prepare_path(app)
run = loader.load(entrypoint, app)
prebuilt = loader.prebuild(entrypoint, app, writable=(writable,))
crew = next(iter(loader._prebuilt.values()))
executors = [agent.agent_executor for agent in crew.agents]
runs = []
for topic in topics:  # each as a warm parent's child: forked, with its own input
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        with crewai_events.bridge():
            output = run({"topic": topic})
        os.write(write, json.dumps({"raw": output.raw, "roles": [agent.role for agent in crew.agents],
                                    "kept": [agent.agent_executor is made for agent, made in zip(crew.agents, executors)],
                                    "prompt": crew.agents[0].agent_executor.prompt.get("system", "")}).encode())
        os._exit(0)
    os.close(write)
    report = b""
    while chunk := os.read(read, 65536):
        report += chunk
    os.waitpid(pid, 0)
    runs.append(json.loads(report))
print(json.dumps({"prebuilt": prebuilt, "set_up": [made is not None for made in executors],
                  "templates": [agent.role for agent in crew.agents], "runs": runs}))
"""


def test_a_prebuilt_crews_agents_are_set_up_ahead_and_each_run_gets_its_own_inputs(tmp_path, crewai_python, llm_for):
    llm = llm_for(RULES / "research-crew.json")
    runtime = example("research-crew", tmp_path, crewai_python)
    runtime.write("prebuilt_runs.py", PREBUILT_RUNS)
    (tmp_path / "writable").mkdir()
    topics = ["quantum sensors", "deep sea robots"]

    report = script_report(runtime, "prebuilt_runs.py", str(tmp_path / "writable"), *topics, **llm.env())
    assert report["prebuilt"].endswith(", agents set up"), report["prebuilt"]
    # Set up before any input: the parent's crew keeps CrewAI's templates, and its agents have executors.
    assert report["set_up"] == [True, True]
    assert report["templates"] == ["{topic} Senior Data Researcher\n", "{topic} Reporting Analyst\n"]
    for topic, run in zip(topics, report["runs"]):
        # The kickoff updated the executors made ahead (not new ones) with the run's own input.
        assert run["kept"] == [True, True]
        assert run["roles"] == [f"{topic} Senior Data Researcher\n", f"{topic} Reporting Analyst\n"]
        assert f"You are {topic} Senior Data Researcher" in run["prompt"] and "{topic}" not in run["prompt"]
        assert run["raw"].startswith("# Report: ")
    requests = [r["request"]["messages"] for r in llm.requests]
    assert len(requests) == 6  # three calls per run, each run's after the other's
    for topic, calls in zip(topics, (requests[:3], requests[3:])):
        systems = [m["content"] for messages in calls for m in messages if m["role"] == "system"]
        assert systems and all(topic in text and "{topic}" not in text for text in systems), systems


HOOKED_CREW = """
from crewai import Agent, Crew, Task
from crewai.hooks import InterceptionPoint, after_tool_call, before_llm_call, on
from crewai.project import CrewBase, crew

CALLS = []
HELD = []


@CrewBase
class HookedCrew:
    agents_config = {}
    tasks_config = {}

    @before_llm_call
    def count_llm_calls(self, context):
        CALLS.append(["llm", id(self)])

    @after_tool_call
    def count_tool_calls(self, context):
        CALLS.append(["tool", id(self)])

    @on(InterceptionPoint.PRE_STEP)
    def count_steps(self, context):
        CALLS.append(["step", id(self)])

    @crew
    def crew(self):
        HELD.append(open(__file__))  # building it keeps a file open: a warm parent cannot hand it to runs
        agent = Agent(role="Clerk", goal="Answer", backstory="Careful.")
        return Crew(agents=[agent], tasks=[Task(description="Say hello", expected_output="A word", agent=agent)])
"""

DISCARDED_PREBUILD = """
import json, os, sys

from crewai import hooks
from crewship_runtime import loader

app, writable = os.environ["CREWSHIP_APP_DIR"], sys.argv[1]
loader.prepare_path(app)
run = loader.load("hooked:HookedCrew", app)
prebuilt = loader.prebuild("hooked:HookedCrew", app, writable=(writable,))
import hooked

output = run({})  # as the warm parent's child runs it: with a crew of its own
registered = [len(hooks.get_before_llm_call_hooks()), len(hooks.get_after_tool_call_hooks()),
              len(hooks.get_hooks(hooks.InterceptionPoint.PRE_STEP))]
print(json.dumps({"prebuilt": prebuilt, "calls": hooked.CALLS, "registered": registered, "raw": output.raw}))
"""


def test_the_hooks_of_a_crew_the_warm_parent_does_not_keep_do_not_run_beside_the_runs_own(tmp_path, crewai_python,
                                                                                         llm_for):
    llm = llm_for({"rules": [{"name": "hello", "when": {}, "reply": "Hello."}]})
    runtime = Runtime(tmp_path, python=crewai_python)
    runtime.write("hooked.py", HOOKED_CREW)
    runtime.write("discarded_prebuild.py", DISCARDED_PREBUILD)
    (tmp_path / "writable").mkdir()

    report = script_report(runtime, "discarded_prebuild.py", str(tmp_path / "writable"), **llm.env())
    assert report["prebuilt"].startswith("crew not prebuilt: building or setting it up opened files"), report["prebuilt"]
    assert report["raw"] == "Hello."
    # Each hook method registered once, by the run's own crew (not also by the one the parent dropped) ...
    assert report["registered"] == [1, 1, 1]
    # ... so the one LLM call ran its hook once.
    assert len(llm.requests) == 1
    assert [kind for kind, _ in report["calls"]].count("llm") == 1, report["calls"]
    assert len({instance for _, instance in report["calls"]}) == 1, report["calls"]


EVENT_BUS = """
import json, os, threading

from crewship_runtime import crewai_preload, loader, runner

runner.prepare_environment()  # as a warm parent does before its import: CrewAI's telemetry off
loader.prepare_path(os.environ["CREWSHIP_APP_DIR"])
loader.load("research_crew.crew:ResearchCrew", os.environ["CREWSHIP_APP_DIR"])
before = sorted(thread.name for thread in threading.enumerate())
started = crewai_preload.start_event_bus()
print(json.dumps({"started": started, "before": before, "after": sorted(thread.name for thread in threading.enumerate())}))
"""


def test_a_spare_starts_crewais_event_bus_threads_before_its_run(tmp_path, crewai_python):
    runtime = example("research-crew", tmp_path, crewai_python)
    runtime.write("event_bus_check.py", EVENT_BUS)

    report = script_report(runtime, "event_bus_check.py", OPENAI_API_KEY="fake-key")
    assert report["started"] is True
    assert report["before"] == ["MainThread"]  # the import started none: a warm parent may fork
    assert report["after"] == ["CrewAIEventsLoop", "CrewAISyncHandler_0", "MainThread"]

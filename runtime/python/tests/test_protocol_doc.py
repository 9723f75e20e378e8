"""docs/runtime-protocol.md is the contract: its examples must mean what the page says they mean."""
import json
import re
import textwrap

from conftest import REPO_ROOT

DOC = (REPO_ROOT / "docs" / "runtime-protocol.md").read_text(encoding="utf-8")
EVENT_TYPE = re.compile(r"[a-z][a-z0-9_.]*")


def section(heading):
    start = DOC.index(f"\n## {heading}")
    end = DOC.find("\n## ", start + 1)
    return DOC[start:end if end > 0 else len(DOC)]


def code_blocks(text, language=""):
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def test_documented_kinds_are_event_result_and_error():
    rows = re.findall(r"^\| `(\w+)` \|", section("Messages (protocol channel)"), flags=re.M)
    assert rows == ["event", "result", "error"]


def test_example_lines_parse_as_the_message_table_describes():
    messages_section = section("Messages (protocol channel)")
    example = messages_section[messages_section.index("Example:"):]
    lines = code_blocks(example)[0].strip().splitlines()
    assert len(lines) == 3
    messages = [json.loads(line) for line in lines]
    for message in messages:
        assert message["v"] == 1
    events, final = messages[:-1], messages[-1]
    for event in events:
        assert set(event) == {"v", "kind", "type", "data"} and event["kind"] == "event"
        assert EVENT_TYPE.fullmatch(event["type"]) and isinstance(event["data"], dict)
    assert events[0]["type"] == "log" and set(events[0]["data"]) == {"message", "stream"}
    assert events[0]["data"]["stream"] in ("stdout", "stderr")
    assert events[1] == {"v": 1, "kind": "event", "type": "agent.started",
                         "data": {"agent": "Researcher", "task": "Research topic"}}
    assert set(final) == {"v", "kind", "output", "values"} and final["kind"] == "result"
    assert final["values"] is None or isinstance(final["values"], dict)


def test_run_spec_example_is_accepted_by_the_runtime(runtime):
    [example] = code_blocks(section("The run spec (stdin)"), "json")
    spec = json.loads(example)
    module, attribute = spec["entrypoint"].split(":")
    runtime.write(module.replace(".", "/") + ".py", f"""
        class {attribute}:
            def kickoff(self, inputs):
                return {{"seen": inputs}}
    """)
    runtime.write(module.split(".")[0] + "/__init__.py", "")
    outcome = runtime.run(stdin=example)
    assert outcome.final == {"v": 1, "kind": "result", "output": {"seen": {"topic": "AI agents"}}, "values": None}


def test_sdk_example_runs_in_a_crew(runtime):
    [example] = code_blocks(section("SDK for crew code"), "python")
    runtime.write("crew.py", "def kickoff(inputs):\n" + textwrap.indent(example, "    ") + "    return 'ok'\n")
    outcome = runtime.run()
    assert outcome.custom_events() == [("agent.started", {"agent": "Researcher", "task": "Research topic"})]
    assert outcome.result == "ok"

"""Thread runs: conversation memory in values, sdk.values(), and Flow state kept in values
(docs/runtime-protocol.md, "Threads"). Each test runs the real runtime in a subprocess."""
import pytest

from crewship_runtime import thread_state

# Shaped like crewai.Crew with one task: kickoff interpolates the inputs into the task description
# the way CrewAI does ({name} placeholders; a missing one is an error), and answers with it.
TEMPLATED_CREW = """
class Crew:
    description = "Answer: {message}\\nConversation so far:\\n{history}"

    def kickoff(self, *, inputs):
        prompt = self.description.format(**inputs)
        return {"raw": "ANSWER to " + inputs["message"], "prompt": prompt}

crew = Crew()
"""

# A stand-in for crewai.flow.flow.Flow: recognised by its name and package; kickoff merges the
# inputs into the state as CrewAI's does, then runs the flow's one step.
FAKE_FLOW_PACKAGE = {
    "crewai/__init__.py": "",
    "crewai/flow/__init__.py": "",
    "crewai/flow/flow.py": """
        class Flow:
            def __init__(self):
                self.state = self.initial_state()

            def initial_state(self):
                return {"id": "fresh-id"}

            def kickoff(self, *, inputs=None):
                state = self.state
                for key, value in (inputs or {}).items():
                    if isinstance(state, dict):
                        state[key] = value
                    elif key in type(state).model_fields:
                        setattr(state, key, value)
                    else:
                        raise ValueError(f"Invalid inputs for structured state: extra field {key}")
                return self.step()
    """,
}


def run_twice(runtime, entrypoint, first, second, values=None):
    one = runtime.run(entrypoint, first, values={} if values is None else values)
    assert one.final["kind"] == "result", one.final
    two = runtime.run(entrypoint, second, values=one.final["values"])
    assert two.final["kind"] == "result", two.final
    return one, two


def test_the_second_run_sees_the_first_through_history(runtime):
    runtime.write("chat.py", TEMPLATED_CREW)
    one, two = run_twice(runtime, "chat:crew", {"message": "Research AI agents in healthcare"},
                         {"message": "Now focus on diagnostic applications"})

    assert one.result["prompt"] == "Answer: Research AI agents in healthcare\nConversation so far:\n"
    assert two.result["prompt"] == (
        "Answer: Now focus on diagnostic applications\nConversation so far:\n"
        "User: Research AI agents in healthcare\n\nAssistant: ANSWER to Research AI agents in healthcare")
    assert two.final["values"]["messages"] == [
        {"role": "user", "content": "Research AI agents in healthcare"},
        {"role": "assistant", "content": "ANSWER to Research AI agents in healthcare"},
        {"role": "user", "content": "Now focus on diagnostic applications"},
        {"role": "assistant", "content": "ANSWER to Now focus on diagnostic applications"},
    ]


def test_values_keep_the_callers_keys_and_a_history_sent_as_input_wins(runtime):
    runtime.write("crew.py", "def kickoff(inputs):\n    return {'seen': inputs}\n")
    outcome = runtime.run("crew:kickoff", {"history": "mine", "topic": "x"}, values={"user": "alice"})
    assert outcome.result == {"seen": {"history": "mine", "topic": "x"}}
    assert outcome.final["values"]["user"] == "alice"
    assert outcome.final["values"]["messages"][0] == {"role": "user", "content": '{"history": "mine", "topic": "x"}'}


def test_a_stateless_run_gets_no_history_and_no_values(runtime):
    runtime.write("crew.py", """
        from crewship_runtime import sdk

        def kickoff(inputs):
            return {"seen": inputs, "values": sdk.values()}
    """)
    outcome = runtime.run("crew:kickoff", {"message": "hi"}, values=None)
    assert outcome.result == {"seen": {"message": "hi"}, "values": None}
    assert outcome.final["values"] is None


def test_crew_code_reads_and_changes_values_through_the_sdk(runtime):
    runtime.write("crew.py", """
        from crewship_runtime import sdk

        def kickoff(inputs):
            values = sdk.values()
            values["visits"] = values.get("visits", 0) + 1
            values["tags"] = {"b", "a"} - {"b"}   # not JSON: converted like results
            values.pop("drop_me", None)
            return f"visit {values['visits']}"
    """)
    one, two = run_twice(runtime, "crew:kickoff", {"message": "a"}, {"message": "b"}, values={"drop_me": 1})
    assert one.final["values"]["visits"] == 1
    assert two.final["values"]["visits"] == 2
    assert two.final["values"]["tags"] == ["a"]
    assert "drop_me" not in two.final["values"]
    assert two.result == "visit 2"
    assert [m["content"] for m in two.final["values"]["messages"]] == ["a", "visit 1", "b", "visit 2"]


def test_a_failed_run_reports_no_values(runtime):
    runtime.write("crew.py", """
        from crewship_runtime import sdk

        def kickoff(inputs):
            sdk.values()["changed"] = True
            raise RuntimeError("no answer")
    """)
    outcome = runtime.run("crew:kickoff", {"message": "a"}, values={"kept": 1})
    assert outcome.error["type"] == "RuntimeError"
    assert "values" not in outcome.final


def test_the_conversation_keeps_the_newest_messages_each_cut_to_the_limit(runtime):
    runtime.write("crew.py", "def kickoff(inputs):\n    return 'y' * 20000\n")
    old = [{"role": "user", "content": f"m{i}"} for i in range(thread_state.MAX_MESSAGES)]
    outcome = runtime.run("crew:kickoff", {"message": "x" * 20000}, values={"messages": old})
    messages = outcome.final["values"]["messages"]
    assert len(messages) == thread_state.MAX_MESSAGES
    assert messages[0]["content"] == "m2"
    assert len(messages[-1]["content"]) == thread_state.MAX_CONTENT_CHARS
    assert messages[-1]["content"].endswith(" [...]")
    assert messages[-2]["content"].startswith("xxx")


def test_a_dict_state_flow_gets_its_state_back_and_the_history(runtime):
    for name, source in FAKE_FLOW_PACKAGE.items():
        runtime.write(name, source)
    runtime.write("counter.py", """
        from crewai.flow.flow import Flow

        class CounterFlow(Flow):
            def step(self):
                self.state["count"] = self.state.get("count", 0) + 1
                return {"count": self.state["count"], "id": self.state["id"], "history": self.state["history"]}
    """)
    one, two = run_twice(runtime, "counter:CounterFlow", {"message": "one"}, {"message": "two"})
    assert one.result == {"count": 1, "id": "fresh-id", "history": ""}
    assert one.final["values"]["flow_state"] == {"id": "fresh-id", "count": 1, "message": "one"}
    assert two.result["count"] == 2
    assert two.result["history"].startswith("User: one\n\nAssistant: ")
    assert two.final["values"]["flow_state"]["count"] == 2


def test_a_structured_state_flow_is_restored_field_by_field_and_gets_history_only_if_it_has_the_field(runtime):
    for name, source in FAKE_FLOW_PACKAGE.items():
        runtime.write(name, source)
    runtime.write("structured.py", """
        from crewai.flow.flow import Flow

        class State:
            # Shaped like a pydantic model: model_fields, model_dump.
            model_fields = {"id": None, "message": None, "turns": None}

            def __init__(self):
                self.id, self.message, self.turns = "fresh-id", "", []

            def model_dump(self, mode="python"):
                return {"id": self.id, "message": self.message, "turns": list(self.turns)}

        class TurnsFlow(Flow):
            def initial_state(self):
                return State()

            def step(self):
                self.state.turns.append(self.state.message)
                return list(self.state.turns)

        turns_flow = TurnsFlow()
    """)
    one, two = run_twice(runtime, "structured:TurnsFlow", {"message": "one"}, {"message": "two"},
                         values={"flow_state": {"retired_field": 1}})
    assert one.result == ["one"]
    assert two.result == ["one", "two"]
    assert two.final["values"]["flow_state"] == {"id": "fresh-id", "message": "two", "turns": ["one", "two"]}
    # A Flow object (not a class) is restored the same way.
    three = runtime.run("structured:turns_flow", {"message": "three"}, values=two.final["values"])
    assert three.result == ["one", "two", "three"]


@pytest.mark.parametrize("output,text", [
    ("plain", "plain"),
    ({"raw": "the crew's answer", "tasks_output": []}, "the crew's answer"),
    ({"b": 1, "a": [1]}, '{"a": [1], "b": 1}'),
    (None, "null"),
])
def test_output_text(output, text):
    assert thread_state.output_text(output) == text

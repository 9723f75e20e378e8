"""examples/chat, the seed's thread example, run through the runtime twice like two runs of one thread."""
import tomllib

from conftest import REPO_ROOT, Runtime

CHAT = REPO_ROOT / "examples" / "chat"
FIRST = "Research AI agents in healthcare"
SECOND = "Now focus on diagnostic applications"


def test_the_follow_up_sees_the_first_message_and_the_topic(tmp_path):
    config = tomllib.loads((CHAT / "crewship.toml").read_text())["deployment"]
    runtime = Runtime(tmp_path, app=CHAT)

    first = runtime.run(config["entrypoint"], {"message": FIRST}, values={})
    assert first.result["topic"] == "AI agents in healthcare"
    assert first.result["remembered_messages"] == 0
    assert "Conversation so far (empty on the first message):\n" in "\n".join(first.logs("stdout"))

    second = runtime.run(config["entrypoint"], {"message": SECOND}, values=first.final["values"])
    answer = second.result["raw"]
    assert answer.startswith("Research brief: diagnostic applications of AI agents in healthcare\n")
    assert f'Building on what you asked before: "{FIRST}".' in answer
    assert second.result["remembered_messages"] == 1
    task = "\n".join(second.logs("stdout"))
    assert f"Answer the user's latest message: {SECOND}" in task
    assert f"User: {FIRST}\n\nAssistant: Research brief: AI agents in healthcare" in task
    values = second.final["values"]
    assert values["topic"] == "AI agents in healthcare" and values["turns"] == 2
    assert [m["content"] for m in values["messages"] if m["role"] == "user"] == [FIRST, SECOND]
    assert [t for t, _ in second.custom_events()] == ["agent.started", "agent.completed"]


def test_run_statelessly_it_answers_without_memory(tmp_path):
    runtime = Runtime(tmp_path, app=CHAT)
    outcome = runtime.run("chat.crew:kickoff", {"message": SECOND}, values=None)
    assert outcome.result["remembered_messages"] == 0
    assert outcome.final["values"] is None


def test_a_run_without_a_message_fails_with_a_clear_error(tmp_path):
    outcome = Runtime(tmp_path, app=CHAT).run("chat.crew:kickoff", {"topic": "x"}, values={})
    assert outcome.error["type"] == "ValueError"
    assert "send {\"message\": \"...\"}" in outcome.error["message"]

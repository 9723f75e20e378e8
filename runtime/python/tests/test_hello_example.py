"""examples/hello, the crew the docs and end-to-end tests use, run through the runtime."""
import tomllib

from conftest import REPO_ROOT, Runtime

HELLO = REPO_ROOT / "examples" / "hello"


def test_hello_crew_logs_emits_writes_its_report_and_returns_what_it_saw(tmp_path):
    config = tomllib.loads((HELLO / "crewship.toml").read_text())["deployment"]
    assert config == {"framework": "crewai", "entrypoint": "hello.crew:kickoff", "python": "3.11"}
    runtime = Runtime(tmp_path, app=HELLO)

    outcome = runtime.run(config["entrypoint"], {"topic": "AI agents"})

    kinds = [t for t, _ in outcome.events]
    assert outcome.events[0] == ("log", {"message": "Researcher agent starting...", "stream": "stdout"})
    assert outcome.custom_events() == [
        ("agent.started", {"agent": "Researcher", "task": "Research topic"}),
        ("agent.completed", {"agent": "Researcher", "task": "Research topic", "output": "3 notes on AI agents"}),
    ]
    assert kinds.index("agent.started") < kinds.index("agent.completed")
    assert any("AI agents" in line for line in outcome.logs("stdout"))
    report = (runtime.artifacts / "report.md").read_text(encoding="utf-8")
    assert report.startswith("# Report: AI agents\n") and report.count("AI agents") >= 3
    assert sorted(p.name for p in runtime.artifacts.iterdir()) == ["report.md"]
    assert outcome.result == {"report": report, "seen": {"topic": "AI agents"}}


def test_hello_crew_without_a_topic_uses_the_default(tmp_path):
    outcome = Runtime(tmp_path, app=HELLO).run("hello.crew:kickoff", {})
    assert outcome.result["seen"] == {}
    assert outcome.result["report"].startswith("# Report: AI agents\n")


def test_hello_crew_has_no_dependencies_to_build():
    lines = (HELLO / "requirements.txt").read_text().splitlines()
    assert lines and all(line.strip() == "" or line.lstrip().startswith("#") for line in lines)

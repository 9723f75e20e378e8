"""The hello crew: a stand-in for a real CrewAI research crew that needs no LLM and no network.

It does what a deployed crew does, so Crewship's docs and end-to-end tests can show every part of
a run: log lines, agent events, an artifact and a result.
"""
from crewship_runtime import sdk

AGENT = "Researcher"
TASK = "Research topic"


def kickoff(inputs: dict):
    topic = str(inputs.get("topic") or "AI agents")
    print("Researcher agent starting...")
    sdk.emit("agent.started", {"agent": AGENT, "task": TASK})
    print(f"Researcher is researching: {topic}")

    notes = [
        f"What {topic} are, in one paragraph.",
        f"Who works on {topic}, and what they ship.",
        f"Open questions about {topic}.",
    ]
    report = f"# Report: {topic}\n\n" + "".join(f"- {note}\n" for note in notes)
    artifacts = sdk.artifacts_dir()
    artifacts.mkdir(parents=True, exist_ok=True)
    (artifacts / "report.md").write_text(report, encoding="utf-8")
    print(f"Researcher wrote report.md ({len(notes)} notes on {topic})")

    sdk.emit("agent.completed", {"agent": AGENT, "task": TASK, "output": f"{len(notes)} notes on {topic}"})
    return {"report": report, "seen": inputs}

"""The chat crew: a research assistant that remembers the conversation of its thread.

Plain Python standing in for a CrewAI crew (no LLM, no network), so every answer is predictable and
shows exactly what the crew was given. It uses all three ways a crew keeps state in a Crewship thread
(docs/runtime-protocol.md, "Threads"):

1. the ``history`` input: the conversation so far, which the task description in config/tasks.yaml
   uses as ``{history}`` (this crew fills that template just as CrewAI interpolates task descriptions);
2. ``sdk.values()``: the thread's values, read and changed by crew code (here: the research topic);
3. the conversation itself (``values["messages"]``), appended by the runtime after each run.
"""
import re
from pathlib import Path

from crewship_runtime import sdk

AGENT = "Researcher"
TASK = "Research topic"
_TASK_FILE = Path(__file__).parent / "config" / "tasks.yaml"
_ASKS_FOR_TOPIC = re.compile(r"^\s*(?:please\s+)?(?:research|tell me about|look into|study)\s+(?P<topic>.+?)[.!?]*\s*$", re.I)
_ASKS_FOR_FOCUS = re.compile(r"\bfocus(?:ing)? on\s+(?P<focus>.+?)[.!?]*\s*$", re.I)


def kickoff(inputs: dict):
    message = str(inputs.get("message") or "").strip()
    if not message:
        raise ValueError('send {"message": "..."} as the run input, for example {"message": "Research AI agents in healthcare"}')
    history = str(inputs.get("history") or "")
    values = sdk.values()  # None when run as a stateless run: then nothing is remembered

    description = task_description().format(message=message, history=history)
    sdk.emit("agent.started", {"agent": AGENT, "task": TASK})
    print(f"{AGENT} got the task:\n{description}")

    topic_asked = _ASKS_FOR_TOPIC.match(message)
    focus_asked = _ASKS_FOR_FOCUS.search(message)
    known_topic = values.get("topic") if values is not None else None
    topic = topic_asked.group("topic") if topic_asked else known_topic or message
    focus = focus_asked.group("focus") if focus_asked else None
    if values is not None:
        values["topic"] = topic
        values["turns"] = values.get("turns", 0) + 1

    brief = research_brief(topic, focus)
    earlier = user_messages(history)
    if earlier:
        brief += "\n\nBuilding on what you asked before: " + "; ".join(f'"{m}"' for m in earlier) + "."
    sdk.emit("agent.completed", {"agent": AGENT, "task": TASK, "output": brief.splitlines()[0]})
    return {"raw": brief, "topic": topic, "focus": focus, "remembered_messages": len(earlier)}


def task_description():
    """The description of research_task in config/tasks.yaml (a YAML literal block: its lines as written)."""
    lines = _TASK_FILE.read_text(encoding="utf-8").split("  description: |\n", 1)[1].splitlines()
    block = []
    for line in lines:
        if line.strip() and not line.startswith("    "):
            break
        block.append(line[4:])
    return "\n".join(block).strip("\n")


def research_brief(topic, focus):
    if focus:
        return (f"Research brief: {focus} of {topic}\n"
                f"- Where {focus} stand today in {topic}.\n"
                f"- Who builds {focus}, and what evidence supports them.\n"
                f"- Open questions on {focus}: validation, safety and regulation.")
    return (f"Research brief: {topic}\n"
            f"- What {topic} are, in one paragraph.\n"
            f"- Who works on {topic}, and what they ship.\n"
            f"- Open questions about {topic}.")


def user_messages(history):
    """The user's earlier messages in the conversation text the runtime passes as ``history``."""
    return [entry[len("User: "):] for entry in history.split("\n\n") if entry.startswith("User: ")]

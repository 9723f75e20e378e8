"""The LangGraph peer's equivalent of examples/hello: one node, no LLM, no network, a small output.

What the hello crew does that a graph can: read `topic` from the input, build the same three-note
markdown report, and return `{"report": …, "seen": {"topic": …}}`. It writes no artifact file (the
peer has no artifact store, and blocking file I/O inside a node is refused by `langgraph dev`), and
LangGraph itself records the node's start and end (its own stream events), as Crewship records
`agent.started`/`agent.completed`."""
from typing import TypedDict

from langgraph.graph import END, START, StateGraph


class State(TypedDict, total=False):
    topic: str
    report: str
    seen: dict


def research(state: State) -> State:
    topic = str(state.get("topic") or "AI agents")
    notes = [
        f"What {topic} are, in one paragraph.",
        f"Who works on {topic}, and what they ship.",
        f"Open questions about {topic}.",
    ]
    report = f"# Report: {topic}\n\n" + "".join(f"- {note}\n" for note in notes)
    return {"report": report, "seen": {"topic": topic}}


builder = StateGraph(State)
builder.add_node("research", research)
builder.add_edge(START, "research")
builder.add_edge("research", END)
graph = builder.compile()

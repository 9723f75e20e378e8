"""Flow state kept in a thread's values, with the real CrewAI (no LLM needed: the flows are plain
Python). Needs an interpreter with crewai: $CREWSHIP_CREWAI_PYTHON, else the virtualenv
scripts/install-deps.sh builds under $CREWSHIP_CACHE_DIR (~/.cache/crewship)/venvs/crewai-*/; without one the tests fail."""
import glob
import os
from pathlib import Path

import pytest

from conftest import Runtime

_CACHE = Path(os.environ.get("CREWSHIP_CACHE_DIR") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "crewship")
CANDIDATES = [os.environ.get("CREWSHIP_CREWAI_PYTHON", ""),
              os.path.join(os.environ.get("CREWSHIP_CREWAI_VENV", ""), "bin", "python") if os.environ.get("CREWSHIP_CREWAI_VENV") else ""] + sorted(
    glob.glob(str(_CACHE / "venvs" / "crewai-*" / "bin" / "python")), reverse=True)
CREWAI_PYTHON = next((p for p in CANDIDATES if p and os.access(p, os.X_OK)), None)



@pytest.fixture(autouse=True)
def crewai_required():
    if CREWAI_PYTHON is None:
        pytest.fail("no Python with crewai: run scripts/install-deps.sh (it builds ~/.cache/crewship/venvs/crewai-*)"
                    " or set CREWSHIP_CREWAI_PYTHON")

FLOWS = """
from pydantic import BaseModel
from crewai.flow.flow import Flow, start


class ChatState(BaseModel):
    message: str = ""
    history: str = ""
    topics: list[str] = []


class ChatFlow(Flow[ChatState]):
    @start()
    def remember(self):
        self.state.topics.append(self.state.message)
        return {"topics": list(self.state.topics), "history": self.state.history}


class TurnState(BaseModel):
    message: str = ""
    turns: int = 0


class TurnFlow(Flow[TurnState]):
    @start()
    def turn(self):
        self.state.turns += 1
        return self.state.turns
"""


def run_twice(runtime, entrypoint):
    env = {"HOME": str(runtime.app.parent), "CREWAI_STORAGE_DIR": str(runtime.app.parent / "crewai")}
    first = runtime.run(entrypoint, {"message": "one"}, values={}, env=env)
    assert first.final["kind"] == "result", first.final
    second = runtime.run(entrypoint, {"message": "two"}, values=first.final["values"], env=env)
    assert second.final["kind"] == "result", second.final
    return first, second


@pytest.fixture
def crewai_runtime(tmp_path, monkeypatch):
    monkeypatch.setattr("conftest.PYTHON", CREWAI_PYTHON)
    runtime = Runtime(tmp_path)
    runtime.write("flows.py", FLOWS)
    return runtime


def test_a_structured_state_is_restored_and_receives_the_history(crewai_runtime):
    first, second = run_twice(crewai_runtime, "flows:ChatFlow")
    assert first.result == {"topics": ["one"], "history": ""}
    assert second.result["topics"] == ["one", "two"]
    assert second.result["history"].startswith("User: one\n\nAssistant: ")
    state = second.final["values"]["flow_state"]
    assert state["topics"] == ["one", "two"] and "history" not in state
    assert state["id"] == first.final["values"]["flow_state"]["id"], "the flow keeps its id across the thread's runs"


def test_a_structured_state_without_a_history_field_gets_no_history(crewai_runtime):
    first, second = run_twice(crewai_runtime, "flows:TurnFlow")
    assert (first.result, second.result) == (1, 2)
    assert second.final["values"]["flow_state"]["turns"] == 2

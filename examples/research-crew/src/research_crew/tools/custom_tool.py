from typing import Type

from crewai.tools import BaseTool
from pydantic import BaseModel, Field

# A small, offline knowledge base: the tool needs no API key and gives the same answer every time.
NOTES = {
    "ai agents": [
        "Agents combine an LLM with tools and a loop that decides the next step.",
        "Multi-agent crews split work by role: research, analysis, writing.",
        "Evaluation of agents focuses on task success, cost and latency.",
    ],
}


class NotesSearchInput(BaseModel):
    """Input schema for NotesSearchTool."""
    query: str = Field(..., description="The subject to look up, e.g. 'AI agents'.")


class NotesSearchTool(BaseTool):
    name: str = "notes_search"
    description: str = (
        "Looks a subject up in the team's research notes and returns the matching notes, one per line."
    )
    args_schema: Type[BaseModel] = NotesSearchInput

    def _run(self, query: str) -> str:
        notes = NOTES.get(query.strip().lower())
        if not notes:
            return f"No notes about {query!r}."
        return "\n".join(f"- {note}" for note in notes)

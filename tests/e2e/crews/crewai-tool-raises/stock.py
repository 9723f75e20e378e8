from crewai import Agent, Crew, Task
from crewai.tools import BaseTool


class Inventory(BaseTool):
    name: str = "inventory"
    description: str = "Counts the items of a kind in stock."

    def _run(self, item: str) -> str:
        raise RuntimeError(f"inventory service unreachable while counting {item}")


def kickoff(inputs):
    clerk = Agent(role="Stock Clerk", goal="Count stock", backstory="Careful.", tools=[Inventory()])
    count = Task(description="How many {item} are in stock?", expected_output="A number", agent=clerk)
    return Crew(agents=[clerk], tasks=[count], tool_failure_policy="raise").kickoff(inputs=inputs)

from crewai import LLM, Agent, Crew, Task


def kickoff(inputs):
    judge = Agent(role="Judge", goal="Judge pitches", backstory="Fair.", llm=LLM(model="gpt-4o-mini", stream=True))
    verdict = Task(description="Judge this pitch: {pitch}", expected_output="One sentence", agent=judge)
    return Crew(agents=[judge], tasks=[verdict]).kickoff(inputs=inputs)

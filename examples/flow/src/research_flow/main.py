#!/usr/bin/env python
from pydantic import BaseModel

from crewai.flow import Flow, listen, start

from research_flow.crews.summary_crew.summary_crew import SummaryCrew


class ResearchState(BaseModel):
    topic: str = "AI agents"
    audience: str = "engineers"
    summary: str = ""
    word_count: int = 0


class ResearchFlow(Flow[ResearchState]):

    @start()
    def pick_topic(self):
        # kickoff(inputs={"topic": ...}) has already put the inputs into the state.
        self.state.topic = self.state.topic.strip() or "AI agents"
        print(f"Topic: {self.state.topic} (for {self.state.audience})")

    @listen(pick_topic)
    def summarize(self):
        result = (
            SummaryCrew()
            .crew()
            .kickoff(inputs={"topic": self.state.topic, "audience": self.state.audience})
        )
        self.state.summary = result.raw
        self.state.word_count = len(result.raw.split())

    @listen(summarize)
    def publish(self):
        print(f"Summary of {self.state.word_count} words ready")
        return {"topic": self.state.topic, "summary": self.state.summary, "word_count": self.state.word_count}


def kickoff():
    ResearchFlow().kickoff()


if __name__ == "__main__":
    kickoff()

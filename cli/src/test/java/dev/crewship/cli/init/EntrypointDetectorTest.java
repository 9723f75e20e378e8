package dev.crewship.cli.init;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EntrypointDetectorTest {
    @TempDir
    Path crew;

    private void write(String path, String content) throws IOException {
        Path file = crew.resolve(path);
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
    }

    @Test
    void findsTheCrewBaseClassOfACrewAiProject() throws IOException {
        write("src/research_crew/__init__.py", "");
        write("src/research_crew/main.py", "def run():\n    ResearchCrew().crew().kickoff(inputs={})\n");
        write("src/research_crew/crew.py", """
                from crewai import Agent, Crew, Task
                from crewai.project import CrewBase, agent, crew, task

                @CrewBase
                class ResearchCrew():
                    \"\"\"Research crew\"\"\"

                    @agent
                    def researcher(self) -> Agent:
                        return Agent(config=self.agents_config['researcher'])
                """);

        assertThat(EntrypointDetector.detect(crew)).hasValueSatisfying(found -> {
            assertThat(found.value()).isEqualTo("research_crew.crew:ResearchCrew");
            assertThat(found.why()).contains("src/research_crew/crew.py").contains("@CrewBase");
        });
    }

    @Test
    void toleratesFurtherDecoratorsBetweenCrewBaseAndTheClass() throws IOException {
        write("pkg/crew.py", "@CrewBase\n@some_other(decorator=True)\nclass Writers(Base):\n    pass\n");

        assertThat(EntrypointDetector.detect(crew)).get().extracting(EntrypointDetector.Entrypoint::value).isEqualTo("pkg.crew:Writers");
    }

    @Test
    void findsAFlowClass() throws IOException {
        write("src/poem_flow/main.py", "from crewai.flow import Flow, start\n\nclass PoemFlow(Flow[PoemState]):\n    pass\n\ndef kickoff():\n    PoemFlow().kickoff()\n");

        assertThat(EntrypointDetector.detect(crew)).get().extracting(EntrypointDetector.Entrypoint::value).isEqualTo("poem_flow.main:PoemFlow");
    }

    @Test
    void findsAKickoffFunctionInMainFirst() throws IOException {
        write("helpers.py", "def kickoff(inputs):\n    return 1\n");
        write("main.py", "import os\n\ndef kickoff(inputs: dict):\n    return inputs\n");

        assertThat(EntrypointDetector.detect(crew)).get().extracting(EntrypointDetector.Entrypoint::value).isEqualTo("main:kickoff");
    }

    @Test
    void findsAKickoffFunctionInAnyModuleOrPackage() throws IOException {
        write("hello/__init__.py", "");
        write("hello/crew.py", "def kickoff(inputs):\n    return {'seen': inputs}\n");

        assertThat(EntrypointDetector.detect(crew)).get().extracting(EntrypointDetector.Entrypoint::value).isEqualTo("hello.crew:kickoff");
    }

    @Test
    void aKickoffWithoutParametersIsNoEntrypoint() throws IOException {
        write("main.py", "def kickoff():\n    pass\n");

        assertThat(EntrypointDetector.detect(crew)).isEmpty();
    }

    @Test
    void findsNothingInAFolderWithoutACrew() throws IOException {
        write("README.md", "# nothing here\n");

        assertThat(EntrypointDetector.detect(crew)).isEmpty();
    }
}

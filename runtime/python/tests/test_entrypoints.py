"""Every kind of entrypoint the protocol lists, told apart without CrewAI installed."""
import json
import subprocess

from conftest import PYTHON

# Shaped like crewai.Crew: kickoff takes the input by keyword only, so a positional call fails.
FAKE_CREW = """
class Crew:
    def __init__(self, name):
        self.name = name

    def kickoff(self, *, inputs):
        return {"crew": self.name, "seen": inputs}
"""


def test_function_is_called_with_the_input(runtime):
    runtime.write("crew.py", """
        def kickoff(inputs):
            return {"seen": inputs, "kind": "function"}
    """)
    outcome = runtime.run("crew:kickoff", {"topic": "AI agents"})
    assert outcome.result == {"seen": {"topic": "AI agents"}, "kind": "function"}
    assert outcome.final["values"] is None


def test_thread_values_come_back_with_their_keys_and_the_conversation(runtime):
    runtime.write("crew.py", "def kickoff(inputs):\n    return 'ok'\n")
    outcome = runtime.run("crew:kickoff", {"message": "hi"}, values={"notes": ["earlier"], "n": 1})
    assert outcome.final["values"] == {"notes": ["earlier"], "n": 1, "messages": [
        {"role": "user", "content": "hi"}, {"role": "assistant", "content": "ok"}]}


def test_crewbase_class_gets_a_fresh_crew_kicked_off_with_keyword_inputs(runtime):
    runtime.write("fake_crewai.py", FAKE_CREW)
    runtime.write("research.py", """
        from fake_crewai import Crew

        class ResearchCrew:
            built = 0

            def __init__(self):
                ResearchCrew.built += 1

            def crew(self):
                return Crew(f"research crew #{ResearchCrew.built}")
    """)
    assert runtime.run("research:ResearchCrew", {"topic": "x"}).result == {"crew": "research crew #1", "seen": {"topic": "x"}}


def test_class_carrying_crewais_crew_class_marker_is_a_crewbase_class(runtime):
    runtime.write("fake_crewai.py", FAKE_CREW)
    runtime.write("research.py", """
        from fake_crewai import Crew

        class Marked:
            is_crew_class = True

            def crew(self):
                return Crew("marked")

            def kickoff(self, inputs):
                raise AssertionError("a @CrewBase class runs through crew(), not kickoff()")
    """)
    assert runtime.run("research:Marked", {"a": 1}).result == {"crew": "marked", "seen": {"a": 1}}


def test_crewbase_marker_without_a_crew_method_is_a_clear_error(runtime):
    runtime.write("research.py", """
        class Research:
            is_crew_class = True

            def research_crew(self):
                pass
    """)
    error = runtime.run("research:Research").error
    assert error["type"] == "crewship_runtime.EntrypointError"
    assert "@CrewBase class Research, which has no crew() method" in error["message"]


def test_crew_object_is_kicked_off_with_keyword_inputs(runtime):
    runtime.write("fake_crewai.py", FAKE_CREW)
    runtime.write("research.py", "from fake_crewai import Crew\n\nmy_crew = Crew('module crew')\n")
    assert runtime.run("research:my_crew", {"topic": "y"}).result == {"crew": "module crew", "seen": {"topic": "y"}}


def test_flow_class_and_flow_object_are_kicked_off_with_keyword_inputs(runtime):
    # A stand-in for crewai.flow.flow.Flow: recognised by its name and package, not imported by the runtime.
    runtime.write("crewai/__init__.py", "")
    runtime.write("crewai/flow/__init__.py", "")
    runtime.write("crewai/flow/flow.py", """
        class Flow:
            def kickoff(self, *, inputs=None):
                return {"flow": type(self).__name__, "seen": inputs}
    """)
    runtime.write("poem.py", """
        from crewai.flow.flow import Flow

        class PoemFlow(Flow):
            pass

        poem_flow = PoemFlow()
    """)
    assert runtime.run("poem:PoemFlow", {"n": 1}).result == {"flow": "PoemFlow", "seen": {"n": 1}}
    assert runtime.run("poem:poem_flow", {"n": 2}).result == {"flow": "PoemFlow", "seen": {"n": 2}}


def test_other_class_with_kickoff_gets_the_input_positionally(runtime):
    runtime.write("crew.py", """
        class Pipeline:
            def kickoff(self, inputs, /):
                return {"pipeline": inputs}
    """)
    assert runtime.run("crew:Pipeline", {"q": "z"}).result == {"pipeline": {"q": "z"}}


def test_class_with_neither_crew_nor_kickoff_is_a_clear_error(runtime):
    runtime.write("crew.py", "class Helper:\n    def run(self):\n        pass\n")
    error = runtime.run("crew:Helper").error
    assert error["type"] == "crewship_runtime.EntrypointError"
    assert "class Helper, which has neither a crew() method" in error["message"]


def test_async_function_is_run_to_its_end(runtime):
    runtime.write("crew.py", """
        import asyncio

        async def kickoff(inputs):
            await asyncio.sleep(0)
            return {"async": inputs}
    """)
    assert runtime.run("crew:kickoff", {"a": 1}).result == {"async": {"a": 1}}


def test_src_layout_and_dotted_module_path(runtime):
    runtime.write("src/research_crew/__init__.py", "")
    runtime.write("src/research_crew/crew.py", """
        from research_crew.tools import search

        def kickoff(inputs):
            return search(inputs["topic"])
    """)
    runtime.write("src/research_crew/tools.py", "def search(topic):\n    return f'found {topic}'\n")
    assert runtime.run("research_crew.crew:kickoff", {"topic": "bees"}).result == "found bees"


def test_attribute_path_may_be_dotted(runtime):
    runtime.write("crew.py", """
        class Entrypoints:
            @staticmethod
            def kickoff(inputs):
                return {"static": inputs}
    """)
    assert runtime.run("crew:Entrypoints.kickoff", {"k": 1}).result == {"static": {"k": 1}}


def test_crew_environment_and_import_path(runtime):
    runtime.write("src/marker.py", "")
    runtime.write("crew.py", """
        import os
        import sys

        def kickoff(inputs):
            names = ["CREWAI_DISABLE_TELEMETRY", "OTEL_SDK_DISABLED", "CREWAI_DISABLE_VERSION_CHECK",
                     "CREWAI_TESTING", "CREWSHIP_ARTIFACTS_DIR"]
            return {"env": {name: os.environ.get(name) for name in names}, "path": sys.path[:2],
                    "cwd": os.getcwd(), "stdin": sys.stdin.read()}
    """)
    outcome = runtime.run(env={"CREWAI_TESTING": "false"})
    assert outcome.result["env"] == {
        "CREWAI_DISABLE_TELEMETRY": "true", "OTEL_SDK_DISABLED": "true", "CREWAI_DISABLE_VERSION_CHECK": "true",
        "CREWAI_TESTING": "false",  # the project's own setting wins
        "CREWSHIP_ARTIFACTS_DIR": str(runtime.artifacts),
    }
    assert outcome.result["path"] == [str(runtime.app), str(runtime.app / "src")]
    assert outcome.result["stdin"] == ""


def test_runtime_imports_nothing_heavy_before_the_crew_runs(runtime):
    """What the runtime adds to a bare interpreter's modules (-S: no site packages); heavy
    modules here would slow every run's start."""
    runtime.write("crew.py", "import sys\n\ndef kickoff(inputs):\n    return sorted(sys.modules)\n")
    loaded = set(runtime.run(python_args=("-S",)).result)
    bare = subprocess.run([PYTHON, "-S", "-c", "import sys, json; print(json.dumps(sorted(sys.modules)))"],
                          capture_output=True, check=True).stdout
    added = loaded - set(json.loads(bare))
    heavy = {"asyncio", "inspect", "dataclasses", "typing", "pathlib", "traceback", "difflib", "logging",
             "socket", "ssl", "email", "http", "tempfile", "subprocess", "crewai", "pydantic"}
    assert added & heavy == set(), sorted(added)
    assert "crewship_runtime.channel" in added and "crew" in added


"""Failures: the crew's exceptions, bad entrypoints and bad run specs each end in one clear
``error`` message and exit status 1."""
import json

import pytest

from conftest import spec


def test_exception_is_reported_with_type_message_and_the_crews_traceback(runtime):
    runtime.write("crew.py", """
        def research(topic):
            raise ValueError(f"cannot research {topic}")

        def kickoff(inputs):
            print("working")
            return research(inputs["topic"])
    """)
    outcome = runtime.run(input={"topic": "bees"})
    assert outcome.exit_code == 1
    assert outcome.events == [("log", {"message": "working", "stream": "stdout"})]
    error = outcome.error
    assert error["type"] == "ValueError"
    assert error["message"] == "cannot research bees"
    traceback = error["traceback"]
    assert traceback.startswith("Traceback (most recent call last):\n")
    assert 'crew.py", line 6, in kickoff' in traceback and 'crew.py", line 2, in research' in traceback
    assert traceback.endswith("ValueError: cannot research bees\n")
    assert "crewship_runtime" not in traceback, "the runtime's own frames are left out"


def test_exception_types_outside_builtins_are_qualified(runtime):
    runtime.write("research/__init__.py", "")
    runtime.write("research/errors.py", "class QuotaExceeded(Exception):\n    pass\n")
    runtime.write("research/crew.py", """
        from research.errors import QuotaExceeded

        class Budget:
            class Exhausted(Exception):
                pass

        def kickoff(inputs):
            raise QuotaExceeded("no more searches")

        def overspend(inputs):
            raise Budget.Exhausted("out of money")
    """)
    assert runtime.run("research.crew:kickoff").error["type"] == "research.errors.QuotaExceeded"
    assert runtime.run("research.crew:overspend").error["type"] == "research.crew.Budget.Exhausted"


def test_chained_exceptions_show_their_cause(runtime):
    runtime.write("crew.py", """
        def kickoff(inputs):
            try:
                inputs["missing"]
            except KeyError as e:
                raise RuntimeError("the input has no 'missing'") from e
    """)
    error = runtime.run().error
    assert error["type"] == "RuntimeError"
    assert "KeyError: 'missing'" in error["traceback"]
    assert "The above exception was the direct cause" in error["traceback"]


def test_long_tracebacks_keep_their_last_frames_within_8_kib(runtime):
    runtime.write("crew.py", """
        def ping(n):
            if n == 0:
                raise RecursionError("deep " + "x" * 20000)
            return pong(n - 1)

        def pong(n):
            return ping(n - 1)

        def kickoff(inputs):
            return ping(300)
    """)
    error = runtime.run().error
    assert error["type"] == "RecursionError"
    assert len(error["traceback"]) <= 8 * 1024
    assert error["traceback"].count('  File "') <= 50
    assert error["traceback"].startswith("... (traceback cut to its last 8 KiB)\n")
    assert error["message"].startswith("deep xxx") and error["message"].endswith("... (message cut to 8 KiB)")
    assert len(error["message"]) < 8 * 1024 + 100


def test_sys_exit_in_the_crew_is_an_error(runtime):
    runtime.write("crew.py", "import sys\n\ndef kickoff(inputs):\n    sys.exit(3)\n")
    error = runtime.run().error
    assert error["type"] == "SystemExit"
    assert error["message"] == "the crew called sys.exit(3) instead of returning a result"


def test_missing_module_is_an_entrypoint_error(runtime):
    runtime.write("research/__init__.py", "")
    for entrypoint, missing in (("nosuch.crew:kickoff", "nosuch"), ("research.crew:kickoff", "research/crew")):
        error = runtime.run(entrypoint).error
        assert error["type"] == "crewship_runtime.EntrypointError"
        assert error["message"] == (f"entrypoint module {entrypoint.split(':')[0]!r} not found: there is no {missing}.py"
                                    f" or {missing}/ package in {runtime.app} or {runtime.app}/src")
        assert error["traceback"] == f"crewship_runtime.EntrypointError: {error['message']}\n"


def test_a_missing_dependency_of_the_crew_keeps_its_own_error(runtime):
    runtime.write("crew.py", "import not_installed_anywhere\n\ndef kickoff(inputs):\n    pass\n")
    error = runtime.run().error
    assert error["type"] == "ModuleNotFoundError"
    assert error["message"] == "No module named 'not_installed_anywhere'"
    assert 'crew.py", line 1, in <module>' in error["traceback"]
    assert "importlib" not in error["traceback"]


def test_syntax_error_in_the_crew(runtime):
    runtime.write("crew.py", "def kickoff(inputs)\n    return 1\n")
    error = runtime.run().error
    assert error["type"] == "SyntaxError"
    assert "crew.py" in error["traceback"]


def test_missing_attribute_suggests_a_close_name(runtime):
    runtime.write("crew.py", "def kickoff(inputs):\n    pass\n")
    error = runtime.run("crew:kickof").error
    assert error["type"] == "crewship_runtime.EntrypointError"
    assert error["message"] == "module 'crew' has no attribute 'kickof'; did you mean 'kickoff'?"
    assert "no attribute 'Nothing'" in runtime.run("crew:Nothing").error["message"]


@pytest.mark.parametrize("source, attribute, described", [
    ("kickoff = 'not a function'\n", "kickoff", "is a str, not a function, a class, a Crew or a Flow"),
    ("settings = {'a': 1}\n", "settings", "is a dict, not a function"),
    ("from research import tools\n", "tools", "names a module; name a function or class in it"),
])
def test_entrypoint_that_cannot_be_run(runtime, source, attribute, described):
    runtime.write("research/__init__.py", "")
    runtime.write("research/tools.py", "")
    runtime.write("crew.py", source)
    error = runtime.run(f"crew:{attribute}").error
    assert error["type"] == "crewship_runtime.EntrypointError"
    assert described in error["message"]


@pytest.mark.parametrize("entrypoint", ["crew", "crew:", ":kickoff", "crew:kick off", "crew:kickoff:x", "a..b:c"])
def test_malformed_entrypoint(runtime, entrypoint):
    error = runtime.run(entrypoint).error
    assert error["type"] == "crewship_runtime.EntrypointError"
    assert error["message"].startswith(f"entrypoint {entrypoint!r} is not of the form 'module:attribute'")


def test_entrypoint_naming_a_file_gets_a_hint(runtime):
    error = runtime.run("research/crew.py:kickoff").error
    assert error["type"] == "crewship_runtime.EntrypointError"
    assert error["message"].endswith("name the module as Python imports it, without '.py' and with '.' for '/'"
                                     " (for example 'research.crew:kickoff')")


def _spec_with(**changes):
    document = spec()
    for name, value in changes.items():
        if value is KeyError:
            del document[name]
        else:
            document[name] = value
    return json.dumps(document)


@pytest.mark.parametrize("stdin, message", [
    ("", "no run spec on stdin: expected one JSON object"),
    ("this is not json", "the run spec on stdin is not JSON: Expecting value: line 1 column 1 (char 0)"),
    (b"\xff\xfe", "the run spec on stdin is not UTF-8"),
    ("[1, 2]", "the run spec must be a JSON object, not an array"),
    (_spec_with(v=2), "unsupported run spec version 2: this runtime speaks version 1"),
    (_spec_with(v="1"), 'unsupported run spec version "1": this runtime speaks version 1'),
    (_spec_with(v=True), "unsupported run spec version true: this runtime speaks version 1"),
    (_spec_with(v=KeyError), "unsupported run spec version null: this runtime speaks version 1"),
    (_spec_with(entrypoint=KeyError), "the run spec has no 'entrypoint'"),
    (_spec_with(input=KeyError), "the run spec has no 'input'"),
    (_spec_with(entrypoint=""), "the run spec's 'entrypoint' must be a non-empty string, not an empty string"),
    (_spec_with(run_id=7), "the run spec's 'run_id' must be a non-empty string, not a number"),
    (_spec_with(input=["topic"]), "the run spec's 'input' must be a JSON object, not an array"),
    (_spec_with(input=None), "the run spec's 'input' must be a JSON object, not null"),
    (_spec_with(values="state"), "the run spec's 'values' must be a JSON object or null, not a string"),
])
def test_invalid_run_spec(runtime, stdin, message):
    outcome = runtime.run(stdin=stdin)
    assert outcome.error["type"] == "crewship_runtime.InvalidRunSpec"
    assert outcome.error["message"].startswith(message)
    assert outcome.error["traceback"] == f"crewship_runtime.InvalidRunSpec: {outcome.error['message']}\n"


def test_unknown_spec_fields_are_ignored_and_values_may_be_absent(runtime):
    runtime.write("crew.py", "def kickoff(inputs):\n    return inputs\n")
    document = {**spec(input={"a": 1}), "priority": "high"}
    del document["values"]
    outcome = runtime.run(stdin=json.dumps(document))
    assert outcome.result == {"a": 1} and outcome.final["values"] is None


def test_result_too_large_for_one_message(runtime):
    runtime.write("crew.py", "def kickoff(inputs):\n    return 'x' * (17 * 1024 * 1024)\n")
    error = runtime.run().error
    assert error["type"] == "crewship_runtime.ResultTooLarge"
    assert "a result may have at most 16777216" in error["message"]

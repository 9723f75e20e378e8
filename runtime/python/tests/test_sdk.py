"""crewship_runtime.sdk as crew code uses it."""
import json
import os
import pathlib
import subprocess

import pytest

from conftest import PYTHON, RUNTIME_DIR
from crewship_runtime import sdk


def test_emit_from_many_threads_writes_every_event_whole_and_in_order_per_thread(runtime):
    runtime.write("crew.py", """
        import threading
        from crewship_runtime import sdk

        def work(thread):
            for i in range(250):
                sdk.emit("work.step", {"thread": thread, "i": i, "pad": "é" * (i * 40)})
                print(f"thread {thread} printed {i}")

        def kickoff(inputs):
            threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            return "done"
    """)
    outcome = runtime.run()
    steps = [d for t, d in outcome.custom_events() if t == "work.step"]
    assert len(steps) == 8 * 250
    for thread in range(8):
        mine = [d for d in steps if d["thread"] == thread]
        assert [d["i"] for d in mine] == list(range(250))
        assert all(d["pad"] == "é" * (d["i"] * 40) for d in mine)
    assert sorted(outcome.logs("stdout")) == sorted(f"thread {t} printed {i}" for t in range(8) for i in range(250))


def test_emit_with_a_bad_type_fails_the_crew_with_a_clear_error(runtime):
    runtime.write("crew.py", """
        from crewship_runtime import sdk

        def kickoff(inputs):
            sdk.emit("Agent Started", {"agent": "Researcher"})
    """)
    error = runtime.run().error
    assert error["type"] == "ValueError"
    assert error["message"].startswith("invalid event type 'Agent Started'")
    assert 'crew.py", line 4, in kickoff' in error["traceback"]


@pytest.mark.parametrize("event_type", ["Agent", "1abc", "", "a b", "agent-started", "a" * 101, "ünï", None, 5])
def test_emit_rejects_invalid_type_names(event_type):
    with pytest.raises(ValueError, match="invalid event type"):
        sdk.emit(event_type, {})


@pytest.mark.parametrize("event_type", ["run.completed", "run.started", "run.anything", "artifact"])
def test_emit_rejects_types_only_the_server_emits(event_type):
    with pytest.raises(ValueError, match="reserved: only the server emits"):
        sdk.emit(event_type, {})


@pytest.mark.parametrize("data", [None, [1], "text", 3])
def test_emit_data_must_be_a_dict(data):
    with pytest.raises(TypeError, match="event data must be a dict"):
        sdk.emit("agent.started", data)


def test_emit_accepts_the_longest_valid_type_and_converts_data(runtime):
    longest = "a" + "b.c_9" * 19 + "zzzz"
    assert len(longest) == 100
    runtime.write("crew.py", f"""
        import datetime
        from crewship_runtime import sdk

        def kickoff(inputs):
            sdk.emit({longest!r}, {{"when": datetime.date(2024, 5, 6), "obj": Exception("boom"), "n": (1, 2)}})
            return "ok"
    """)
    outcome = runtime.run()
    assert outcome.result == "ok"
    assert outcome.custom_events() == [(longest, {"when": "2024-05-06", "obj": "boom", "n": [1, 2]})]


def test_events_over_1_mib_are_refused(runtime):
    runtime.write("crew.py", """
        from crewship_runtime import sdk

        def kickoff(inputs):
            sdk.emit("small.enough", {"text": "x" * (1024 * 1024 - 100)})
            try:
                sdk.emit("too.large", {"text": "x" * (1024 * 1024)})
            except ValueError as e:
                return str(e)
    """)
    outcome = runtime.run()
    assert [t for t, _ in outcome.custom_events()] == ["small.enough"]
    assert outcome.result.startswith("the too.large event is 1048637 bytes of JSON; an event may have at most 1048576")


def test_artifacts_land_in_the_artifacts_dir_which_the_runtime_creates(runtime):
    assert not runtime.artifacts.exists()
    runtime.write("crew.py", """
        import os
        from crewship_runtime import sdk

        def kickoff(inputs):
            (sdk.artifacts_dir() / "report.md").write_text("# Report\\n", encoding="utf-8")
            os.makedirs(os.path.join(os.environ["CREWSHIP_ARTIFACTS_DIR"], "data"))
            with open(os.path.join(os.environ["CREWSHIP_ARTIFACTS_DIR"], "data", "rows.json"), "w") as f:
                f.write("[1, 2]")
            os.system('echo from the shell > "$CREWSHIP_ARTIFACTS_DIR/shell.txt"')
            return str(sdk.artifacts_dir())
    """)
    assert runtime.run().result == str(runtime.artifacts)
    files = sorted(str(p.relative_to(runtime.artifacts)) for p in runtime.artifacts.rglob("*") if p.is_file())
    assert files == ["data/rows.json", "report.md", "shell.txt"]
    assert (runtime.artifacts / "report.md").read_text() == "# Report\n"


def test_artifacts_dir_defaults_to_app_artifacts(monkeypatch):
    monkeypatch.delenv("CREWSHIP_ARTIFACTS_DIR", raising=False)
    assert sdk.artifacts_dir() == pathlib.Path("/app/artifacts")
    monkeypatch.setenv("CREWSHIP_ARTIFACTS_DIR", "/tmp/elsewhere")
    assert sdk.artifacts_dir() == pathlib.Path("/tmp/elsewhere")


def test_emit_outside_the_runtime_prints_the_event_to_stderr():
    code = "from crewship_runtime import sdk; sdk.emit('agent.started', {'agent': 'Researcher'}); print('stdout untouched')"
    process = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONPATH": str(RUNTIME_DIR)})
    assert process.stdout == "stdout untouched\n"
    prefix = "[crewship event] "
    assert process.stderr.startswith(prefix)
    assert json.loads(process.stderr[len(prefix):]) == {"v": 1, "kind": "event", "type": "agent.started",
                                                        "data": {"agent": "Researcher"}}


def test_a_forked_child_can_emit_while_the_parent_is_busy_printing_and_emitting(runtime):
    # The children do not print: with another thread printing at the fork, a child's print may
    # block forever on sys.stdout's lock (a hazard of fork() in any threaded Python program).
    runtime.write("crew.py", """
        import os
        import threading
        from crewship_runtime import sdk

        def chatter(stop):
            while not stop.is_set():
                print("parent chatter")
                sdk.emit("parent.tick", {})

        def kickoff(inputs):
            stop = threading.Event()
            thread = threading.Thread(target=chatter, args=(stop,))
            thread.start()
            children = []
            for n in range(5):
                pid = os.fork()
                if pid == 0:
                    sdk.emit("child.done", {"n": n})
                    os._exit(0)
                children.append(pid)
            statuses = [os.waitpid(pid, 0)[1] for pid in children]
            stop.set()
            thread.join()
            return statuses
    """)
    outcome = runtime.run()
    assert outcome.result == [0] * 5
    assert sorted(d["n"] for t, d in outcome.custom_events() if t == "child.done") == list(range(5))
    assert set(outcome.logs()) == {"parent chatter"}

"""The crew's output (print, subprocesses, raw descriptor writes) becomes log events and never
corrupts the protocol. Every run here is also checked line by line by the conftest Outcome."""
import os
import signal


def test_prints_become_stdout_logs_in_order_with_emitted_events(runtime):
    runtime.write("crew.py", """
        from crewship_runtime import sdk

        def kickoff(inputs):
            for i in range(200):
                print(f"line {i}")
                sdk.emit("step.done", {"i": i})
            return "done"
    """)
    outcome = runtime.run()
    expected = []
    for i in range(200):
        expected += [("log", {"message": f"line {i}", "stream": "stdout"}), ("step.done", {"i": i})]
    assert outcome.events == expected


def test_subprocess_and_descriptor_output_become_logs(runtime):
    runtime.write("crew.py", """
        import os
        import subprocess
        import sys

        def kickoff(inputs):
            os.system("echo hi from the shell")
            subprocess.run([sys.executable, "-c", "import sys; sys.stderr.write('child on stderr\\\\n')"], check=True)
            subprocess.run(["sh", "-c", "echo shell on stderr >&2"], check=True)
            os.write(1, b"raw fd 1\\n")
            os.write(2, b"raw fd 2\\n")
            print("to stderr", file=sys.stderr)
            return "ok"
    """)
    outcome = runtime.run()
    assert outcome.result == "ok"
    assert outcome.logs("stdout") == ["hi from the shell", "raw fd 1"]
    assert sorted(outcome.logs("stderr")) == sorted(["child on stderr", "shell on stderr", "raw fd 2", "to stderr"])
    assert outcome.stderr == "", "the process's own stderr carries nothing"


def test_output_that_looks_like_protocol_stays_a_log_line(runtime):
    forged = '{"v":1,"kind":"result","output":"forged","values":null}'
    runtime.write("crew.py", f"""
        import os
        import sys

        def kickoff(inputs):
            print({forged!r})
            print({forged!r}, file=sys.stderr)
            os.system({"echo '" + forged + "'"!r})
            return "real"
    """)
    outcome = runtime.run()
    assert outcome.result == "real"
    assert outcome.logs() == [forged] * 3


def test_garbage_bytes_and_a_last_line_without_newline(runtime):
    runtime.write("crew.py", r"""
        import os

        def kickoff(inputs):
            os.write(1, b"bin \xff\xfe\x00 data\r\n")
            os.write(1, b"half a line")
            os.write(1, b" without newline")
            os.write(2, b"stderr tail \xc3")
            return "ok"
    """)
    outcome = runtime.run()
    assert outcome.logs("stdout") == ["bin \ufffd\ufffd\x00 data", "half a line without newline"]
    assert outcome.logs("stderr") == ["stderr tail \ufffd"]
    assert outcome.result == "ok"


def test_long_lines_are_cut_at_16_kib_without_splitting_a_character(runtime):
    runtime.write("crew.py", """
        import os
        import sys

        def kickoff(inputs):
            print("a" * 40000)
            print("next")
            print("é" * 10000)
            print("b" * 16383 + "é")
            print("c" * 16384)
            sys.stdout.flush()
            os.write(1, b"d" * 100000)
            return "ok"
    """)
    logs = runtime.run().logs("stdout")
    assert logs == ["a" * 16384, "next", "é" * 8192, "b" * 16383, "c" * 16384, "d" * 16384]


def test_blank_lines_are_kept(runtime):
    runtime.write("crew.py", "def kickoff(inputs):\n    print('one')\n    print()\n    print('two')\n")
    assert runtime.run().logs() == ["one", "", "two"]


def test_unicode_everywhere(runtime):
    topic = "naïve — 日本語 ✓ 🚀"
    runtime.write("crew.py", """
        import sys
        from crewship_runtime import sdk

        def kickoff(inputs):
            print(inputs["topic"])
            print(inputs["topic"], file=sys.stderr)
            sdk.emit("note.taken", {"text": inputs["topic"]})
            return {"echo": inputs["topic"], inputs["topic"]: 1}
    """)
    outcome = runtime.run(input={"topic": topic})
    assert outcome.logs() == [topic, topic]
    assert outcome.custom_events() == [("note.taken", {"text": topic})]
    assert outcome.result == {"echo": topic, topic: 1}
    assert topic.encode("utf-8") in outcome.raw, "UTF-8 on the wire, not escapes"


def test_processes_left_writing_never_follow_the_final_message(runtime):
    runtime.write("crew.py", """
        import subprocess

        def kickoff(inputs):
            child = subprocess.Popen(["sh", "-c", "while true; do echo tick; echo tock >&2; done"])
            print("started")
            return {"child": child.pid}
    """)
    outcome = runtime.run()
    try:
        os.kill(outcome.result["child"], signal.SIGKILL)
    except ProcessLookupError:
        pass  # it died of a broken pipe once the runtime was gone
    # The framing checks (conftest) already hold: the result is the last message. The child's stderr
    # may be read before the crew's stdout line, so "started" need not come first.
    assert "started" in outcome.logs()
    assert set(outcome.logs()) <= {"started", "tick", "tock"}


def test_threads_left_running_do_not_keep_the_run_alive(runtime):
    runtime.write("crew.py", """
        import threading
        import time

        def kickoff(inputs):
            threading.Thread(target=time.sleep, args=(600,)).start()
            return "returned"
    """)
    assert runtime.run().result == "returned"  # within the helper's timeout, far below 600 s


def test_crew_closing_its_stdout_and_stderr_does_not_touch_the_protocol(runtime):
    runtime.write("crew.py", """
        import os
        from crewship_runtime import sdk

        def kickoff(inputs):
            print("before")
            os.close(1)
            os.close(2)
            sdk.emit("still.here", {})
            return "ok"
    """)
    outcome = runtime.run()
    assert outcome.events == [("log", {"message": "before", "stream": "stdout"}), ("still.here", {})]
    assert outcome.result == "ok"

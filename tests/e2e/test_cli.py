"""The real `bin/crewship` against a real server: a crew's whole life through the CLI, in the seed's
command shapes, and bad input that prints one clear line, exits non-zero and changes nothing."""
import json
import os
import re
import shutil
import signal
import subprocess
import time

import pytest

from crewship_e2e import CLI, ROOT, free_port

RUN_ID = re.compile(r"\brun_[A-Za-z0-9]+\b")
DEP_ID = re.compile(r"\bdep_[A-Za-z0-9]+\b")
# An ANSI colour would mean the CLI thinks a pipe is a terminal.
ANSI = re.compile(r"\x1b\[")


class Cli:
    """Runs `bin/crewship` as a user would: its own HOME (no login file), the server from the environment."""

    def __init__(self, server, home):
        self.server = server
        self.home = str(home)

    def env(self, **overrides):
        env = {k: v for k, v in os.environ.items() if not k.startswith("CREWSHIP_")}
        env.update(HOME=self.home, XDG_CONFIG_HOME=os.path.join(self.home, ".config"),
                   CREWSHIP_URL=self.server.url, CREWSHIP_API_KEY=self.server.key)
        for name, value in overrides.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        return env

    def __call__(self, *args, cwd, check=True, env=None, stdin=subprocess.DEVNULL, timeout=300):
        p = subprocess.run([CLI, *args], cwd=cwd, env=env or self.env(), stdin=stdin,
                           capture_output=True, text=True, timeout=timeout)
        assert not ANSI.search(p.stdout + p.stderr), "colours on a pipe"
        if check:
            assert p.returncode == 0, f"crewship {' '.join(args)} exited {p.returncode}\n{p.stdout}\n{p.stderr}"
        return p


def wait_status(server, run_id, status, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if server.json("GET", f"/v1/runs/{run_id}")[1]["status"] == status:
            return
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} never became {status}")


@pytest.fixture
def cli(server, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    return Cli(server, home)


def hello_without_toml(tmp_path, name):
    """examples/hello in a folder called `name` (the project name the CLI derives), without its crewship.toml."""
    folder = tmp_path / name
    shutil.copytree(os.path.join(ROOT, "examples", "hello"), folder,
                    ignore=shutil.ignore_patterns("__pycache__", "crewship.toml"))
    return folder


def build_log_lines(stdout):
    return [line[len("  | "):] for line in stdout.splitlines() if line.startswith("  | ")]


def event_types(stdout):
    """The event type of each `HH:MM:SS  type  message` line `invoke --stream` prints."""
    return [m.group(1) for m in re.finditer(r"^\d\d:\d\d:\d\d\s+(\S+)", stdout, re.MULTILINE)]


def test_init_deploy_invoke_artifacts_env_redeploy_and_rollback(server, cli, tmp_path):
    crew = hello_without_toml(tmp_path, "cli-hello")
    project = "cli-hello"

    # init: detects the entrypoint of the crew folder and writes a crewship.toml the server accepts
    p = cli("init", cwd=crew)
    assert "hello.crew:kickoff" in p.stdout
    toml = (crew / "crewship.toml").read_text()
    assert 'entrypoint = "hello.crew:kickoff"' in toml and 'framework = "crewai"' in toml

    # deploy: creates the project (named after the folder), streams the build log, ends with id and status
    p = cli("deploy", cwd=crew)
    first = DEP_ID.search(p.stdout.splitlines()[-1]).group(0)
    # (an earlier deployment with the same dependencies, of any project, lets the build reuse its environment)
    assert re.fullmatch(rf"Deployment {first} is ready and current for project {project}( \(environment reused\))?",
                        p.stdout.splitlines()[-1]), p.stdout
    code, stored_log, _ = server.request("GET", f"/v1/deployments/{first}/logs")
    assert code == 200
    assert build_log_lines(p.stdout) == stored_log.decode().splitlines(), "the CLI showed the whole build log, in order"
    assert server.json("GET", f"/v1/projects/{project}")[1]["current_deployment_id"] == first

    # invoke --stream: every event of the run, live, in order, then the output; exit 0
    p = cli("invoke", "--input", '{"topic": "AI agents"}', "--stream", cwd=crew)
    run_id = RUN_ID.search(p.stderr).group(0)
    events = server.json("GET", f"/v1/runs/{run_id}/events")[1]["data"]
    assert event_types(p.stdout) == [e["type"] for e in events]
    assert event_types(p.stdout)[0] == "run.started" and event_types(p.stdout)[-1] == "run.completed"
    assert "Researcher agent starting..." in p.stdout and "report.md (141 B)" in p.stdout
    assert "Researcher: Research topic" in p.stdout, "agent.started shows agent and task"
    output = json.loads(p.stdout[p.stdout.index("\n{") + 1:])
    assert output["seen"] == {"topic": "AI agents"} and output["report"].startswith("# Report: AI agents")

    # the seed's artifact commands
    p = cli("runs", "artifacts", run_id, cwd=crew)
    assert re.search(r"^report\.md\s+141 B\s+text/markdown", p.stdout, re.MULTILINE), p.stdout
    p = cli("runs", "download", run_id, "report.md", cwd=crew)
    downloaded = (crew / "report.md").read_bytes()
    assert downloaded == server.request("GET", f"/v1/runs/{run_id}/artifacts/report.md")[1]
    assert downloaded.startswith(b"# Report: AI agents")
    again = cli("runs", "download", run_id, "report.md", cwd=crew, check=False)
    assert again.returncode == 1 and "already exists" in again.stderr and (crew / "report.md").read_bytes() == downloaded
    cli("runs", "download", run_id, "--all", "-o", str(tmp_path / "all"), cwd=crew)
    assert (tmp_path / "all" / "report.md").read_bytes() == downloaded
    (crew / "report.md").unlink()

    # env: set (the seed's shape, and several at once), list without values, unset
    secret = "sk-e2e-never-printed-7f3a"
    p = cli("env", "set", f"OPENAI_API_KEY={secret}", cwd=crew)
    assert "OPENAI_API_KEY" in p.stdout
    cli("env", "set", "MODEL=gpt-4o", "TEMPERATURE=0.2", cwd=crew)
    p = cli("env", "list", cwd=crew)
    assert [line.split()[0] for line in p.stdout.splitlines()[1:]] == ["MODEL", "OPENAI_API_KEY", "TEMPERATURE"]
    listed = json.loads(cli("env", "list", "--json", cwd=crew).stdout)
    assert sorted(v["name"] for v in listed["data"]) == ["MODEL", "OPENAI_API_KEY", "TEMPERATURE"]
    cli("env", "unset", "MODEL", cwd=crew)
    cli("env", "unset", "TEMPERATURE", cwd=crew)
    server_env = server.json("GET", f"/v1/projects/{project}/env")[1]
    assert [v["name"] for v in server_env["data"]] == ["OPENAI_API_KEY"]
    assert secret not in p.stdout + p.stderr + json.dumps(listed)

    # deploy a changed crew: a new deployment becomes current and runs the new code
    crew_py = crew / "hello" / "crew.py"
    crew_py.write_text(crew_py.read_text().replace('f"# Report: {topic}', 'f"# Report v2: {topic}'))
    p = cli("deploy", cwd=crew)
    second = DEP_ID.search(p.stdout.splitlines()[-1]).group(0)
    assert second != first
    assert p.stdout.splitlines()[-1] == f"Deployment {second} is ready and current for project {project} (environment reused)"
    p = cli("invoke", "--input", '{"topic": "AI agents"}', "--wait", cwd=crew)
    assert json.loads(p.stdout)["report"].startswith("# Report v2: AI agents")
    p = cli("deployments", "list", cwd=crew)
    marks = {line.split()[0]: line.split()[-1] for line in p.stdout.splitlines()[1:]}
    assert marks == {second: "current", first: "previous"}, p.stdout

    # the seed's rollback: instant, no new deployment, and runs execute the old code again
    p = cli("deploy", "--rollback", first, cwd=crew)
    assert p.stdout.strip() == f"Project {project} now runs {first} (was {second})"
    deployments = server.json("GET", f"/v1/projects/{project}/deployments")[1]["data"]
    assert sorted(d["id"] for d in deployments) == sorted([first, second]), "a rollback builds nothing"
    assert server.json("GET", f"/v1/projects/{project}")[1]["current_deployment_id"] == first

    # the seed's plain invoke starts the run and returns; --wait then shows the old version's output
    p = cli("invoke", "--input", '{"topic": "quantum computing", "style": "blog"}', cwd=crew)
    started = RUN_ID.search(p.stdout).group(0)
    run = server.wait_run(started)
    assert run["deployment_id"] == first and run["input"] == {"topic": "quantum computing", "style": "blog"}
    p = cli("invoke", "--input", '{"topic": "AI agents"}', "--wait", cwd=crew)
    assert json.loads(p.stdout)["report"].startswith("# Report: AI agents"), "the old version ran"
    rolled_back_run = RUN_ID.search(p.stderr).group(0)
    assert server.json("GET", f"/v1/runs/{rolled_back_run}")[1]["deployment_id"] == first

    # read commands: tables for people, --json for scripts
    p = cli("runs", "list", cwd=crew)
    assert p.stdout.splitlines()[0].split()[:3] == ["ID", "STATUS", "PROJECT"] and rolled_back_run in p.stdout
    listed = json.loads(cli("runs", "list", "--json", cwd=crew).stdout)
    assert {r["project"] for r in listed["data"]} == {project} and len(listed["data"]) == 4
    assert json.loads(cli("runs", "get", run_id, "--json", cwd=crew).stdout)["status"] == "succeeded"
    p = cli("runs", "events", run_id, cwd=crew)
    assert event_types(p.stdout) == [e["type"] for e in events]
    p = cli("projects", "usage", cwd=crew)
    assert re.search(r"^succeeded\s+4$", p.stdout, re.MULTILINE) and re.search(r"^total\s+4$", p.stdout, re.MULTILINE), p.stdout
    assert json.loads(cli("projects", "usage", project, "--json", cwd=tmp_path).stdout)["runs"]["succeeded"] == 4


def test_invoke_input_from_file_and_a_failing_run_exits_non_zero(server, cli, tmp_path):
    crew = hello_without_toml(tmp_path, "cli-fail")
    cli("init", cwd=crew)
    crew_py = crew / "hello" / "crew.py"
    crew_py.write_text(crew_py.read_text() + '\n\ndef explode(inputs: dict):\n    raise ValueError("no " + inputs["topic"])\n')
    cli("deploy", cwd=crew)
    (crew / "input.json").write_text('{"topic": "from a file"}')
    p = cli("invoke", "--input", "@input.json", "--wait", cwd=crew)
    assert json.loads(p.stdout)["seen"] == {"topic": "from a file"}

    (crew / "crewship.toml").write_text((crew / "crewship.toml").read_text().replace("hello.crew:kickoff", "hello.crew:explode"))
    cli("deploy", cwd=crew)
    p = cli("invoke", "--input", '{"topic": "luck"}', "--stream", cwd=crew, check=False)
    assert p.returncode == 1
    assert event_types(p.stdout)[-1] == "run.failed"
    errors = [line for line in p.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "ValueError" in errors[0] and "no luck" in errors[0], p.stderr


def test_a_failed_build_shows_its_log_exits_non_zero_and_keeps_the_current_deployment(server, cli, tmp_path):
    crew = tmp_path / "cli-build"
    shutil.copytree(os.path.join(ROOT, "examples", "hello"), crew, ignore=shutil.ignore_patterns("__pycache__"))
    good = DEP_ID.search(cli("deploy", cwd=crew).stdout.splitlines()[-1]).group(0)
    (crew / "requirements.txt").write_text("this is not a requirement !!\n")
    p = cli("deploy", cwd=crew, check=False)
    assert p.returncode == 1
    failed = DEP_ID.search(p.stderr.splitlines()[-1]).group(0)
    assert p.stderr.splitlines()[-1].startswith(f"error: deployment {failed} failed to build")
    code, stored_log, _ = server.request("GET", f"/v1/deployments/{failed}/logs")
    assert build_log_lines(p.stdout) == stored_log.decode().splitlines() and "this is not a requirement" in p.stdout
    assert server.json("GET", "/v1/projects/cli-build")[1]["current_deployment_id"] == good


def test_ctrl_c_while_following_a_run_cancels_it_without_a_terminal(server, cli, probe, tmp_path):
    # As from a terminal: Ctrl-C reaches the CLI even when this suite was started in the background,
    # where the shell makes its commands ignore SIGINT (the CLI, like any program, keeps it ignored).
    proc = subprocess.Popen([CLI, "invoke", "--deployment", probe, "--input", '{"action": "echo", "sleep": 120}', "--stream"],
                            cwd=tmp_path, env=cli.env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        started = proc.stderr.readline()
        run_id = RUN_ID.search(started).group(0)
        wait_status(server, run_id, "running")
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, (stdout, stderr)
    assert f"Canceling run {run_id}" in stderr
    assert event_types(stdout)[-1] == "run.canceled"
    assert server.json("GET", f"/v1/runs/{run_id}")[1]["status"] == "canceled"


# ---- bad input ----

def server_state(server):
    """Everything a CLI command could change, as the admin key sees it."""
    projects = server.json("GET", "/v1/projects")[1]["data"]
    state = {"projects": sorted((p["name"], p["current_deployment_id"]) for p in projects),
             "runs": sorted(r["id"] for r in server.json("GET", "/v1/runs?limit=100")[1]["data"]),
             "keys": sorted(k["id"] for k in server.json("GET", "/v1/keys")[1]["data"])}
    for p in projects:
        name = p["name"]
        state[name + "/deployments"] = sorted(d["id"] for d in server.json("GET", f"/v1/projects/{name}/deployments?limit=100")[1]["data"])
        state[name + "/env"] = sorted((v["name"], v["updated_at"]) for v in server.json("GET", f"/v1/projects/{name}/env")[1]["data"])
    return state


@pytest.fixture
def deployed_crew(server, cli, tmp_path):
    """A deployed copy of examples/hello (project cli-bad) with one finished run."""
    crew = tmp_path / "cli-bad"
    shutil.copytree(os.path.join(ROOT, "examples", "hello"), crew, ignore=shutil.ignore_patterns("__pycache__"))
    cli("deploy", cwd=crew)
    run_id = RUN_ID.search(cli("invoke", "--input", '{"topic": "x"}', "--wait", cwd=crew).stderr).group(0)
    cli("env", "set", "KEEP=me", cwd=crew)
    return crew, run_id


def test_bad_input_prints_one_clear_line_exits_non_zero_and_changes_nothing(server, cli, tmp_path, deployed_crew):
    crew, run_id = deployed_crew
    empty = tmp_path / "no-crew-here"
    empty.mkdir()
    dead_url = f"http://127.0.0.1:{free_port()}"
    wrong_key = "csk_thisKeyDoesNotExist0000000000000000000000"
    (crew / "bad.json").write_text('{"topic": ')

    # (where, args, extra environment, what the one error line must say)
    cases = [
        # unknown ids and names
        (crew, ["runs", "get", "run_doesnotexist"], {}, "run run_doesnotexist not found"),
        (crew, ["runs", "events", "run_doesnotexist"], {}, "run run_doesnotexist not found"),
        (crew, ["runs", "events", "--follow", "run_doesnotexist"], {}, "run run_doesnotexist not found"),
        (crew, ["runs", "cancel", "run_doesnotexist"], {}, "run run_doesnotexist not found"),
        (crew, ["runs", "artifacts", "run_doesnotexist"], {}, "run run_doesnotexist not found"),
        (crew, ["runs", "download", "run_doesnotexist", "report.md"], {}, "not found"),
        (crew, ["runs", "download", run_id, "nope.md"], {}, "crewship runs artifacts " + run_id),
        (crew, ["runs", "cancel", run_id], {}, "already finished"),
        (crew, ["deploy", "--rollback", "dep_doesnotexist"], {}, "deployment dep_doesnotexist not found"),
        (crew, ["deployments", "get", "dep_doesnotexist"], {}, "deployment dep_doesnotexist not found"),
        (crew, ["deployments", "logs", "dep_doesnotexist"], {}, "deployment dep_doesnotexist not found"),
        (crew, ["invoke", "--deployment", "dep_doesnotexist", "--input", "{}"], {}, "dep_doesnotexist"),
        (crew, ["invoke", "--project", "no-such-project", "--input", "{}"], {}, "no-such-project"),
        (crew, ["env", "unset", "NOT_SET_ANYWHERE"], {}, "NOT_SET_ANYWHERE"),
        (crew, ["keys", "revoke", "key_doesnotexist"], {}, "key_doesnotexist"),
        (crew, ["projects", "delete", "no-such-project", "--yes"], {}, "no-such-project"),
        (crew, ["projects", "usage", "no-such-project"], {}, "no-such-project"),
        # invalid --input: refused before anything is sent
        (crew, ["invoke", "--input", '{"topic": '], {}, "--input is not valid JSON"),
        (crew, ["invoke", "--input", "{bad json}"], {}, "--input is not valid JSON"),
        (crew, ["invoke", "--input", '["a", "list"]'], {}, "must be a JSON object"),
        (crew, ["invoke", "--input", "@bad.json"], {}, "bad.json is not valid JSON"),
        (crew, ["invoke", "--input", "@missing.json"], {}, "no such file"),
        (crew, ["invoke", "--input", '{"topic": "x"}', "--stream", "--deployment", "dep_x", "--project", "cli-bad"], {}, "not both"),
        # other invalid arguments
        (crew, ["env", "set", "OPENAI_API_KEY"], {}, "is not NAME=value"),
        (crew, ["env", "set", "1BAD=x"], {}, "not a valid variable name"),
        (crew, ["env", "set", "PATH=/evil"], {}, "PATH"),
        (crew, ["projects", "create", "Not_A_Name"], {}, "not a valid project name"),
        (crew, ["projects", "delete", "cli-bad"], {}, "pass --yes"),
        (crew, ["runs", "list", "--status", "exploded"], {}, "status"),
        (crew, ["runs", "download", run_id], {}, "which artifact?"),
        (crew, ["init"], {}, "crewship.toml already exists"),
        (crew, ["invoke", "--no-such-option"], {}, "Unknown option"),
        (crew, ["no-such-command"], {}, "no-such-command"),
        # no crewship.toml
        (empty, ["deploy"], {}, "no crewship.toml in"),
        (empty, ["invoke", "--input", '{"topic": "x"}'], {}, "which project?"),
        (empty, ["env", "set", "A=b"], {}, "which project?"),
        (empty, ["env", "list"], {}, "which project?"),
        (empty, ["deployments", "list"], {}, "which project?"),
        (empty, ["init"], {}, "found no crew entrypoint"),
        # server down
        (crew, ["deploy"], {"CREWSHIP_URL": dead_url}, "cannot reach the Crewship server at " + dead_url),
        (crew, ["invoke", "--input", "{}"], {"CREWSHIP_URL": dead_url}, "cannot reach the Crewship server"),
        (crew, ["runs", "list"], {"CREWSHIP_URL": dead_url}, "cannot reach the Crewship server"),
        (crew, ["runs", "download", run_id, "report.md"], {"CREWSHIP_URL": dead_url}, "cannot reach the Crewship server"),
        (crew, ["env", "set", "A=b"], {"CREWSHIP_URL": dead_url}, "cannot reach the Crewship server"),
        (crew, ["projects", "list"], {"CREWSHIP_URL": dead_url}, "cannot reach the Crewship server"),
        (crew, ["deploy", "--rollback", "dep_x"], {"CREWSHIP_URL": dead_url}, "cannot reach the Crewship server"),
        # wrong or missing key
        (crew, ["deploy"], {"CREWSHIP_API_KEY": wrong_key}, "rejected the API key from CREWSHIP_API_KEY"),
        (crew, ["invoke", "--input", "{}"], {"CREWSHIP_API_KEY": wrong_key}, "rejected the API key"),
        (crew, ["runs", "list"], {"CREWSHIP_API_KEY": wrong_key}, "rejected the API key"),
        (crew, ["runs", "artifacts", run_id], {"CREWSHIP_API_KEY": wrong_key}, "rejected the API key"),
        (crew, ["env", "set", "A=b"], {"CREWSHIP_API_KEY": wrong_key}, "rejected the API key"),
        (crew, ["env", "unset", "KEEP"], {"CREWSHIP_API_KEY": wrong_key}, "rejected the API key"),
        (crew, ["deploy", "--rollback", "dep_x"], {"CREWSHIP_API_KEY": wrong_key}, "rejected the API key"),
        (crew, ["projects", "create", "cli-new"], {"CREWSHIP_API_KEY": wrong_key}, "rejected the API key"),
        (crew, ["keys", "create", "--name", "x"], {"CREWSHIP_API_KEY": wrong_key}, "rejected the API key"),
        (crew, ["runs", "list"], {"CREWSHIP_API_KEY": None}, "no API key for"),
    ]
    before = server_state(server)
    failures = []
    for where, args, env, expected in cases:
        p = cli(*args, cwd=where, env=cli.env(**env), check=False)
        lines = p.stderr.splitlines()
        errors = [line for line in lines if line.startswith("error:")]
        problem = None
        if p.returncode == 0:
            problem = "exit code 0"
        elif len(errors) != 1 or lines[-1] != errors[0]:
            problem = "not exactly one error line, last"
        elif expected not in errors[0]:
            problem = f"the error does not say {expected!r}"
        elif any(s in p.stderr for s in ("Exception", "\tat ", "Traceback")):
            problem = "a stack trace"
        elif p.stdout.strip():
            problem = "output on stdout"
        if problem:
            failures.append(f"crewship {' '.join(args)} ({env}): {problem}\n  exit {p.returncode}\n  stderr: {p.stderr!r}\n  stdout: {p.stdout!r}")
    assert not failures, "\n".join(failures)
    assert server_state(server) == before, "a rejected command changed the server"
    assert not (crew / "report.md").exists() and not (empty / "crewship.toml").exists()


def test_debug_adds_details_to_the_one_line(server, cli, tmp_path):
    p = cli("--debug", "runs", "list", cwd=tmp_path, env=cli.env(CREWSHIP_URL=f"http://127.0.0.1:{free_port()}"), check=False)
    assert p.returncode == 1
    assert p.stderr.startswith("error: cannot reach the Crewship server")
    assert "java.net.ConnectException" in p.stderr, "--debug shows the cause"

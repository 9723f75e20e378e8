"""One run, start to end: read the spec, load the crew, call it, report its result or error."""
import os

from crewship_runtime import crewai_events, messages, sdk, thread_state
from crewship_runtime.errors import ResultTooLarge, describe, type_name
from crewship_runtime.loader import load, prepare_path
from crewship_runtime.serialize import to_json
from crewship_runtime.spec import read_spec

# CrewAI phones home (telemetry, version checks, a first-run tracing prompt) unless told not to.
# Set before the crew's code is imported; a project's own environment variable wins.
QUIET_CREWAI = {
    "CREWAI_DISABLE_TELEMETRY": "true",
    "OTEL_SDK_DISABLED": "true",
    "CREWAI_DISABLE_VERSION_CHECK": "true",
    "CREWAI_TESTING": "true",
}


def run(stdin):
    """Runs the crew the spec on ``stdin`` names. Returns the final protocol line and the exit code;
    never raises: every failure, the crew's or the runtime's, becomes an ``error`` message."""
    try:
        spec = read_spec(stdin)
        app_dir = os.environ.get("CREWSHIP_APP_DIR", "/app")
        prepare_environment()
        prepare_path(app_dir)
        thread = thread_state.ThreadState.begin(spec.values)
        crew = load(spec.entrypoint, app_dir, on_flow=thread.attach_flow)
        with crewai_events.bridge():  # CrewAI's own events as run events, when the crew uses CrewAI
            output = to_json(crew(thread.inputs_for_crew(spec.input)))
        line = messages.encode(messages.result(output, to_json(thread.finish(spec.input, output))))
        if len(line) > messages.MAX_MESSAGE_BYTES:
            raise ResultTooLarge(
                f"the crew's result is {len(line)} bytes of JSON; a result may have at most {messages.MAX_MESSAGE_BYTES}"
                " (return less, write large data to /app/artifacts)")
        return line, 0
    except BaseException as exc:  # SystemExit and KeyboardInterrupt too: the run failed, say why
        return _error_line(exc), 1


def prepare_environment():
    """The variables every run gets unless its project set them (also set by a warm parent before its import)."""
    for name, value in QUIET_CREWAI.items():
        os.environ.setdefault(name, value)
    artifacts = os.environ.setdefault("CREWSHIP_ARTIFACTS_DIR", sdk.DEFAULT_ARTIFACTS_DIR)
    os.makedirs(artifacts, exist_ok=True)


def _error_line(exc):
    try:
        return messages.encode(messages.error(describe(exc)))
    except BaseException:  # describing failed (out of memory, say): the type alone still helps
        return messages.encode(messages.error({"type": type_name(type(exc)), "message": "", "traceback": ""}))


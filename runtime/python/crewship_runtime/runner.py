"""One run, start to end: read the spec, load the crew, call it, report its result or error."""
import os

from crewship_runtime import crewai_events, messages, sdk
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
        _prepare_environment()
        prepare_path(app_dir)
        crew = load(spec.entrypoint, app_dir)
        with crewai_events.bridge():  # CrewAI's own events as run events, when the crew uses CrewAI
            output = crew(spec.input)
        line = messages.encode(messages.result(to_json(output), spec.values))
        if len(line) > messages.MAX_MESSAGE_BYTES:
            raise ResultTooLarge(
                f"the crew's result is {len(line)} bytes of JSON; a result may have at most {messages.MAX_MESSAGE_BYTES}"
                " (return less, write large data to /app/artifacts)")
        return line, 0
    except BaseException as exc:  # SystemExit and KeyboardInterrupt too: the run failed, say why
        return _error_line(exc), 1


def _prepare_environment():
    for name, value in QUIET_CREWAI.items():
        os.environ.setdefault(name, value)
    artifacts = os.environ.setdefault("CREWSHIP_ARTIFACTS_DIR", sdk.DEFAULT_ARTIFACTS_DIR)
    os.makedirs(artifacts, exist_ok=True)


def _error_line(exc):
    try:
        return messages.encode(messages.error(describe(exc)))
    except BaseException:  # describing failed (out of memory, say): the type alone still helps
        return messages.encode(messages.error({"type": type_name(type(exc)), "message": "", "traceback": ""}))


"""The SDK for crew code (docs/runtime-protocol.md, "SDK for crew code")::

    from crewship_runtime import sdk
    sdk.emit("agent.started", {"agent": "Researcher", "task": "Research topic"})
    sdk.artifacts_dir()   # pathlib.Path("/app/artifacts")
    sdk.values()          # the thread's values (a dict to read and change), None in a stateless run
"""
import os
import re
import sys

from crewship_runtime import channel, messages, thread_state
from crewship_runtime.serialize import to_json

# The server's rule (executors: ProtocolParser.EVENT_TYPE).
_EVENT_TYPE = re.compile(r"[a-z][a-z0-9_.]{0,99}")
_SERVER_TYPES = ("artifact",)  # and every "run.*" type
DEFAULT_ARTIFACTS_DIR = "/app/artifacts"


def emit(type, data):
    """Sends a run event: ``type`` like ``agent.started`` (``[a-z][a-z0-9_.]*``, at most 100
    characters, not ``run.*`` or ``artifact``, which only the server emits), ``data`` a dict.
    Values in ``data`` are converted like results (pydantic models, dates, anything else by str()).

    Safe from any thread. The event follows everything the crew printed before the call. Raises
    ValueError for a bad type or an event over 1 MiB of JSON, TypeError when data is not a dict.
    Outside the runtime (the crew run locally) the event is printed to stderr instead."""
    event_type = type
    if not isinstance(event_type, str) or not _EVENT_TYPE.fullmatch(event_type):
        raise ValueError(f"invalid event type {event_type!r}: use lower case letters, digits, '_' and '.',"
                         " starting with a letter, at most 100 characters (for example 'agent.started')")
    if event_type.startswith("run.") or event_type in _SERVER_TYPES:
        raise ValueError(f"event type {event_type!r} is reserved: only the server emits run.* and artifact events")
    if not isinstance(data, dict):
        raise TypeError(f"event data must be a dict (a JSON object), not {data.__class__.__name__}")
    line = messages.encode(messages.event(event_type, to_json(data)))
    if len(line) > messages.MAX_EVENT_BYTES:
        raise ValueError(f"the {event_type} event is {len(line)} bytes of JSON; an event may have at most"
                         f" {messages.MAX_EVENT_BYTES} (write large data to sdk.artifacts_dir() instead)")
    active = channel.current()
    if active is None:
        sys.stderr.write(f"[crewship event] {line.decode('utf-8')}")
        sys.stderr.flush()
    else:
        active.send(line)


def artifacts_dir():
    """The folder whose files are collected as the run's artifacts (``CREWSHIP_ARTIFACTS_DIR``, ``/app/artifacts``)."""
    import pathlib

    return pathlib.Path(os.environ.get("CREWSHIP_ARTIFACTS_DIR", DEFAULT_ARTIFACTS_DIR))


def values():
    """The thread's values in a run of a thread: a dict the crew may read and change in place. What
    it holds when the crew returns becomes the thread's new state (with the conversation the runtime
    appends under ``"messages"``); if the run fails, nothing of it is saved. None in a stateless run
    and outside the runtime. Values must be JSON-serializable (other objects are converted as results
    are) and at most the server's limit (1 MiB of JSON by default)."""
    state = thread_state.current()
    return None if state is None else state.values

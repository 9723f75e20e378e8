"""Reads and checks the run spec, the one JSON object the executor writes on stdin."""
import json

from crewship_runtime.errors import InvalidRunSpec
from crewship_runtime.messages import PROTOCOL_VERSION


class RunSpec:
    """What to run: ``entrypoint`` with ``input``; ``values`` is the thread's state (None for stateless runs)."""

    __slots__ = ("run_id", "deployment_id", "entrypoint", "input", "values")

    def __init__(self, run_id, deployment_id, entrypoint, input, values):
        self.run_id = run_id
        self.deployment_id = deployment_id
        self.entrypoint = entrypoint
        self.input = input
        self.values = values


def read_spec(stream):
    """Reads ``stream`` (binary) to its end and returns the RunSpec, or raises InvalidRunSpec.
    Fields the protocol does not know are ignored, so a newer server can add some."""
    raw = stream.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InvalidRunSpec(f"the run spec on stdin is not UTF-8: {e}") from None
    if not text.strip():
        raise InvalidRunSpec("no run spec on stdin: expected one JSON object")
    try:
        document = json.loads(text)
    except ValueError as e:
        raise InvalidRunSpec(f"the run spec on stdin is not JSON: {e}") from None
    if not isinstance(document, dict):
        raise InvalidRunSpec(f"the run spec must be a JSON object, not {_json_type(document)}")
    version = document.get("v")
    if type(version) is not int or version != PROTOCOL_VERSION:
        raise InvalidRunSpec(f"unsupported run spec version {json.dumps(version)}: this runtime speaks version {PROTOCOL_VERSION}")
    for name in ("run_id", "deployment_id", "entrypoint", "input"):
        if name not in document:
            raise InvalidRunSpec(f"the run spec has no {name!r}")
    for name in ("run_id", "deployment_id", "entrypoint"):
        value = document[name]
        if not isinstance(value, str) or not value:
            raise InvalidRunSpec(f"the run spec's {name!r} must be a non-empty string, not {_json_type(value)}")
    if not isinstance(document["input"], dict):
        raise InvalidRunSpec(f"the run spec's 'input' must be a JSON object, not {_json_type(document['input'])}")
    values = document.get("values")
    if values is not None and not isinstance(values, dict):
        raise InvalidRunSpec(f"the run spec's 'values' must be a JSON object or null, not {_json_type(values)}")
    return RunSpec(document["run_id"], document["deployment_id"], document["entrypoint"], document["input"], values)


def _json_type(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "an empty string" if not value else "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"

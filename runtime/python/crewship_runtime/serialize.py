"""Turns whatever a crew returns (or puts in an event) into JSON-safe values.

Duck typing throughout: CrewAI and pydantic are recognised by their methods and attributes, so
this module imports neither (they may not be installed, and importing them costs seconds).
"""
import sys

# Deeper structures are shown by str(): a bound on recursion, far beyond any sensible result.
MAX_DEPTH = 100

_INFINITY = float("inf")


def to_json(value):
    """``value`` as JSON-native data (dict with str keys, list, str, int, float, bool, None):

    - JSON-native values as they are (tuples, sets and frozensets become lists);
    - a CrewAI ``CrewOutput`` (anything with ``raw``, ``tasks_output`` and ``token_usage``) as
      ``{"raw", "json_dict", "pydantic", "tasks_output", "token_usage"}``;
    - a pydantic model by ``model_dump(mode="json")``; a dataclass instance as a dict of its fields;
    - dates and times by ``isoformat()``;
    - anything else, NaN and infinities included, by ``str()``.
    """
    return _Converter().convert(value, 0)


class _Converter:
    def __init__(self):
        self._open = set()  # ids of the containers being converted: meeting one again is a cycle

    def convert(self, value, depth):
        if value is None or isinstance(value, (str, bool)):
            return value
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return value if value == value and value not in (_INFINITY, -_INFINITY) else str(value)
        if depth >= MAX_DEPTH or id(value) in self._open:
            return _text(value)
        self._open.add(id(value))
        try:
            return self._convert_object(value, depth + 1)
        finally:
            self._open.discard(id(value))

    def _convert_object(self, value, depth):
        if isinstance(value, dict):
            return {_key(key): self.convert(item, depth) for key, item in value.items()}
        if isinstance(value, (list, tuple, set, frozenset)):
            return [self.convert(item, depth) for item in value]
        if isinstance(value, type):
            return _text(value)
        if _is_crew_output(value):
            return self._crew_output(value, depth)
        dumped = _model_dump(value)
        if dumped is not _NOTHING:
            return self.convert(dumped, depth)
        fields = _dataclass_fields(value)
        if fields is not None:
            return {name: self.convert(getattr(value, name, None), depth) for name in fields}
        isoformat = getattr(value, "isoformat", None)
        if callable(isoformat):
            try:
                return str(isoformat())
            except Exception:
                pass
        return _text(value)

    def _crew_output(self, output, depth):
        return {
            "raw": self.convert(getattr(output, "raw", None), depth),
            "json_dict": self.convert(getattr(output, "json_dict", None), depth),
            "pydantic": self.convert(getattr(output, "pydantic", None), depth),
            "tasks_output": [self._task_output(task, depth) for task in (getattr(output, "tasks_output", None) or ())],
            "token_usage": self.convert(getattr(output, "token_usage", None), depth),
        }

    def _task_output(self, task, depth):
        # A TaskOutput's structured copy and the LLM conversation are large and repeat the rest.
        dumped = _model_dump(task, exclude={"pydantic", "messages"})
        return self.convert(task if dumped is _NOTHING else dumped, depth)


_NOTHING = object()


def _is_crew_output(value):
    return all(hasattr(value, name) for name in ("raw", "tasks_output", "token_usage"))


def _model_dump(value, **options):
    dump = getattr(value, "model_dump", None)
    if not callable(dump):
        return _NOTHING
    try:
        return dump(mode="json", **options)
    except Exception:
        return _NOTHING


def _dataclass_fields(value):
    if not hasattr(type(value), "__dataclass_fields__"):
        return None
    # A dataclass exists only if its defining code imported dataclasses, so this costs no import.
    dataclasses = sys.modules.get("dataclasses")
    if dataclasses is None:
        return None
    return [field.name for field in dataclasses.fields(value)]


def _key(key):
    if isinstance(key, str):
        return key
    if isinstance(key, bool) or key is None:
        return {True: "true", False: "false", None: "null"}[key]
    if isinstance(key, int):
        return str(int(key))
    if isinstance(key, float):
        return repr(key)
    return _text(key)


def _text(value):
    try:
        return str(value)
    except Exception:
        return f"<{type(value).__qualname__} object that cannot be shown>"

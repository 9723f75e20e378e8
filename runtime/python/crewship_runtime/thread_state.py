"""A thread's state during one of its runs (docs/runtime-protocol.md, "Threads").

A run of a thread gets the thread's ``values`` in the run spec and returns them, changed, with its
result; the server saves them only when the run succeeds. This module gives ordinary crews memory
without rewriting them:

- **conversation**: each run's input and final output are appended to ``values["messages"]``
  (``{"role": "user"|"assistant", "content": str}``), and the conversation so far is passed to the
  crew as the input ``history`` (text, ``""`` on the first run), so a task description can say
  ``{history}``;
- **SDK**: ``sdk.values()`` is the values dict itself, for crew code to read and change;
- **Flows**: a CrewAI ``Flow``'s state is restored from ``values["flow_state"]`` before its kickoff
  and saved there after it.

Duck-typed throughout: nothing here imports CrewAI or pydantic.
"""
import json

MESSAGES_KEY = "messages"
FLOW_STATE_KEY = "flow_state"
HISTORY_INPUT = "history"
# The conversation keeps the newest MAX_MESSAGES messages, each cut to MAX_CONTENT_CHARS, so values
# stay far below the server's limit (1 MiB by default) however long a thread runs.
MAX_MESSAGES = 50
MAX_CONTENT_CHARS = 8 * 1024
_CUT_MARK = " [...]"
_ROLES = {"user": "User", "assistant": "Assistant"}

_current = None


def current():
    """The ThreadState of the run in progress, or None (a stateless run, or no run at all)."""
    return _current


class ThreadState:
    """The values of one thread run and what the runtime does with them around the crew's call."""

    def __init__(self, values):
        self.values = values
        self._flow = None
        self._history_added = False

    @classmethod
    def begin(cls, spec_values):
        """Starts a run: ``spec_values`` is the spec's ``values`` (None for a stateless run)."""
        global _current
        state = cls(spec_values)
        _current = state if spec_values is not None else None
        return state

    @property
    def stateless(self):
        return self.values is None

    def inputs_for_crew(self, inputs):
        """The inputs the crew is called with: a thread run's also carry ``history``, unless the
        caller sent one of its own."""
        if self.stateless or HISTORY_INPUT in inputs:
            return inputs
        self._history_added = True
        return {**inputs, HISTORY_INPUT: render_history(self._messages())}

    def attach_flow(self, flow, inputs):
        """Called by the loader with a Flow before its kickoff: restores its state and returns the
        inputs to kick it off with (without ``history`` when its state cannot hold one)."""
        if self.stateless:
            return inputs
        self._flow = flow
        saved = self.values.get(FLOW_STATE_KEY)
        state = getattr(flow, "state", None)
        if isinstance(saved, dict) and state is not None:
            _restore(state, saved)
        if self._history_added and not _can_hold(state, HISTORY_INPUT):
            inputs = {k: v for k, v in inputs.items() if k != HISTORY_INPUT}
        return inputs

    def finish(self, inputs, output_json):
        """After the crew returned: records the exchange and the Flow's state; returns the values
        to report (None for a stateless run). ``output_json`` is the result already made JSON-safe."""
        if self.stateless:
            return None
        messages = self._messages()
        messages.append({"role": "user", "content": _cut(input_text(inputs))})
        messages.append({"role": "assistant", "content": _cut(output_text(output_json))})
        del messages[:-MAX_MESSAGES]
        self.values[MESSAGES_KEY] = messages
        if self._flow is not None:
            state = _dump(getattr(self._flow, "state", None))
            if isinstance(state, dict):
                state.pop(HISTORY_INPUT, None)  # given again on every run
                self.values[FLOW_STATE_KEY] = state
        return self.values

    def _messages(self):
        messages = self.values.get(MESSAGES_KEY)
        if not isinstance(messages, list):
            return []
        return [m for m in messages if isinstance(m, dict) and isinstance(m.get("content"), str)]


def render_history(messages):
    """The conversation as text for a prompt: one ``User: …`` / ``Assistant: …`` entry per message."""
    return "\n\n".join(f"{_ROLES.get(m.get('role'), str(m.get('role')).title())}: {m['content']}" for m in messages)


def input_text(inputs):
    """What the user said: the input's ``message`` when it is text, else the whole input as JSON."""
    message = inputs.get("message")
    if isinstance(message, str):
        return message
    return json.dumps(inputs, ensure_ascii=False, sort_keys=True, default=str)


def output_text(output):
    """What the crew answered: text as is, a CrewOutput's ``raw``, anything else as JSON."""
    if isinstance(output, str):
        return output
    if isinstance(output, dict) and isinstance(output.get("raw"), str):
        return output["raw"]
    return json.dumps(output, ensure_ascii=False, sort_keys=True, default=str)


def _cut(text):
    if len(text) <= MAX_CONTENT_CHARS:
        return text
    return text[:MAX_CONTENT_CHARS - len(_CUT_MARK)] + _CUT_MARK


def _restore(state, saved):
    if isinstance(state, dict):
        state.update(saved)
        return
    fields = _model_fields(state)
    for name, value in saved.items():
        if fields is not None and name not in fields:
            continue  # the state model has changed since: a field it no longer has is dropped
        try:
            setattr(state, name, value)
        except (AttributeError, TypeError, ValueError):
            pass  # a read-only or re-typed field keeps its default


def _can_hold(state, name):
    if state is None or isinstance(state, dict):
        return True
    fields = _model_fields(state)
    return fields is None or name in fields


def _model_fields(state):
    fields = getattr(type(state), "model_fields", None)
    return set(fields) if isinstance(fields, dict) else None


def _dump(state):
    if isinstance(state, dict):
        return dict(state)
    dump = getattr(state, "model_dump", None)
    if callable(dump):
        try:
            return dump(mode="json")
        except TypeError:
            return dump()
    if hasattr(state, "__dict__"):
        return {k: v for k, v in vars(state).items() if not k.startswith("_")}
    return None

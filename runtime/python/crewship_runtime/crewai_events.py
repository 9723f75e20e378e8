"""CrewAI's own events, from its event bus, as Crewship run events (docs/api.md, "Event payloads").

Used only when the crew has imported ``crewai`` (the runtime never imports it for a crew that does
not use it: that costs seconds). Nothing of CrewAI is patched.

CrewAI runs event handlers on a thread pool, so they may run out of order. But before it hands an
event to the pool, ``crewai_event_bus.emit`` passes it, on the emitting thread, to the *stream
sinks* of the emitting context (``crewai.events.stream_context``, what CrewAI's own ``stream=True``
uses; CrewAI copies the context into every thread it starts). The bridge adds a sink to the run's
context, and the sink sends each event at once, on the thread that emits it: events go out exactly
in the order they were emitted, with no waiting, and after anything that thread printed before.
An event emitted in a context without the sink (a thread the crew started itself without copying
its context) reaches the bridge through the bus's handlers (``crewai_event_bus.on``), which send
it when they run; the sink remembers the events it sent so that their handlers skip them.

An older CrewAI has no stream sinks (1.15.0 has none, 1.15.17 has them): there a
:class:`_Sequencer` holds each event from the handlers for ``HOLD_SECONDS`` and sends the held ones
in the order they were made (time, then CrewAI's ``emission_sequence``). At the end of the run the
bus is flushed and everything still held is sent before the result.
"""
import contextlib
import heapq
import itertools
import os
import re
import sys
import threading
import time
import weakref

from crewship_runtime import sdk

# Without stream sinks (an older CrewAI): how long an event waits for ones CrewAI emitted
# before it whose handlers ran later.
HOLD_SECONDS = 0.05
# The longest the end of a run waits for CrewAI's handlers (the bus's own default is 30 s).
FLUSH_SECONDS = 10.0
# Text fields (outputs, errors, tool arguments) are cut to this many characters.
MAX_TEXT_CHARS = 16 * 1024
# "true" sends the LLM's streamed tokens as llm.token events; the executor sets it for deployments
# whose crewship.toml has [runtime] llm_tokens = true.
TOKENS_VARIABLE = "CREWSHIP_LLM_TOKENS"
# Tool arguments whose name looks like one of these are replaced by REDACTED (the server also
# replaces the values of the project's variables in every event).
_SECRET_NAME = re.compile(r"(?i)(pass(word|wd)?|secret|token|api[_-]?key|apikey|auth|credential|private[_-]?key|cookie|session)")
REDACTED = "[REDACTED]"


@contextlib.contextmanager
def bridge():
    """While the crew runs, sends CrewAI's events as run events; a no-op when the crew did not import crewai."""
    if "crewai" not in sys.modules:
        yield
        return
    try:
        from crewai.events import crewai_event_bus

        mapping = _handlers(os.environ.get(TOKENS_VARIABLE, "").strip().lower() in ("1", "true", "yes"))
    except ImportError:  # a CrewAI before 1.0 (crewai.utilities.events), or a package merely named crewai
        yield
        return
    try:
        from crewai.events import stream_context
    except ImportError:  # an older CrewAI (1.15.0 has none)
        stream_context = None
    send = _reporting_failures(sdk.emit)
    delivery = _Sequencer(send) if stream_context is None else _EmittingThread(send, mapping)
    handlers = [(event_class, _handler(delivery, event_type, convert)) for event_class, event_type, convert in mapping]
    for event_class, handler in handlers:
        crewai_event_bus.on(event_class)(handler)
    sink = None if stream_context is None else stream_context.add_stream_sink(delivery.sink)
    try:
        yield
    finally:
        try:
            crewai_event_bus.flush(timeout=FLUSH_SECONDS)
        finally:
            if sink is not None:
                stream_context.reset_stream_sinks(sink)
            for event_class, handler in handlers:
                crewai_event_bus.off(event_class, handler)
            delivery.close()


def _handlers(tokens):
    """[(event class, run event type, converter)] for the events sent (``llm.token`` only when ``tokens``)."""
    from crewai.events import (
        AgentExecutionCompletedEvent,
        AgentExecutionErrorEvent,
        AgentExecutionStartedEvent,
        LLMCallCompletedEvent,
        LLMCallFailedEvent,
        LLMCallStartedEvent,
        LLMStreamChunkEvent,
        LiteAgentExecutionCompletedEvent,
        LiteAgentExecutionErrorEvent,
        LiteAgentExecutionStartedEvent,
        MethodExecutionFailedEvent,
        MethodExecutionFinishedEvent,
        MethodExecutionStartedEvent,
        TaskCompletedEvent,
        TaskFailedEvent,
        TaskStartedEvent,
        ToolUsageErrorEvent,
        ToolUsageFinishedEvent,
        ToolUsageStartedEvent,
    )

    mapping = [
        (AgentExecutionStartedEvent, "agent.started", lambda e: _agent_task(e)),
        (AgentExecutionCompletedEvent, "agent.completed", lambda e: {**_agent_task(e), "output": _cut(e.output)}),
        (AgentExecutionErrorEvent, "agent.failed", lambda e: {**_agent_task(e), "error": _cut(e.error)}),
        # Agent.kickoff() without a crew (common inside Flows): the same events, with no task.
        (LiteAgentExecutionStartedEvent, "agent.started", lambda e: _lite_agent(e)),
        (LiteAgentExecutionCompletedEvent, "agent.completed", lambda e: {**_lite_agent(e), "output": _cut(e.output)}),
        (LiteAgentExecutionErrorEvent, "agent.failed", lambda e: {**_lite_agent(e), "error": _cut(e.error)}),
        (TaskStartedEvent, "task.started", lambda e: _task_agent(e)),
        (TaskCompletedEvent, "task.completed", lambda e: {**_task_agent(e), "output": _cut(getattr(e.output, "raw", e.output))}),
        (TaskFailedEvent, "task.failed", lambda e: {**_task_agent(e), "error": _cut(e.error)}),
        (ToolUsageStartedEvent, "tool.called", lambda e: {**_tool(e), "args": _redact(e.tool_args)}),
        (ToolUsageFinishedEvent, "tool.completed", lambda e: {**_tool(e), "output": _cut(e.output),
                                                             "from_cache": bool(e.from_cache)}),
        (ToolUsageErrorEvent, "tool.failed", lambda e: {**_tool(e), "error": _cut(e.error)}),
        (LLMCallStartedEvent, "llm.started", lambda e: _llm(e)),
        (LLMCallCompletedEvent, "llm.completed", lambda e: {**_llm(e), "usage": _usage(e.usage),
                                                           "finish_reason": getattr(e, "finish_reason", None)}),
        (LLMCallFailedEvent, "llm.failed", _once_per_call(lambda e: {**_llm(e), "error": _cut(e.error)})),
        (MethodExecutionStartedEvent, "flow.method.started", lambda e: _method(e)),
        (MethodExecutionFinishedEvent, "flow.method.completed", lambda e: _method(e)),
        (MethodExecutionFailedEvent, "flow.method.failed", lambda e: {**_method(e), "error": _cut(e.error)}),
    ]
    if tokens:
        mapping.append((LLMStreamChunkEvent, "llm.token", lambda e: {**_llm(e), "token": e.chunk}))
    return mapping


def _once_per_call(convert):
    """CrewAI 1.15 reports one failed LLM call twice (its provider, then its LLM wrapper), with one call_id."""
    seen = set()
    lock = threading.Lock()

    def first_only(event):
        with lock:
            if event.call_id in seen:
                return None
            seen.add(event.call_id)
        return convert(event)

    return first_only


def _handler(delivery, event_type, convert):
    """The bus handler for one event class: converts the event and hands it to ``delivery``."""
    def handle(source, event):
        delivery.from_handler(event, event_type, convert)

    handle.__name__ = f"crewship_{event_type.replace('.', '_')}"
    return handle


def _convert(event, convert):
    """The run event's data, or None for an event not to send."""
    try:
        return convert(event)
    except Exception as exc:  # a field CrewAI renamed must not lose the event: say what broke
        return {"error": f"crewship could not read CrewAI's {type(event).__name__}: {exc!r}"}


def _reporting_failures(send):
    """``send`` that sends an event it cannot send (too large, say) as one that says so: the run goes on."""
    def send_or_report(event_type, data):
        try:
            send(event_type, data)
        except Exception as exc:
            send(event_type, {"error": f"event not sent: {exc}"[:1000]})

    return send_or_report


def _order(event):
    """Where an event goes in the run's order: when it was made, then CrewAI's sequence number."""
    timestamp = getattr(event, "timestamp", None)
    sequence = getattr(event, "emission_sequence", None)
    return (timestamp.timestamp() if hasattr(timestamp, "timestamp") else float("inf"),
            sequence if isinstance(sequence, int) else sys.maxsize)


# ---- field extraction -------------------------------------------------------------------------

def _clean(text):
    """YAML's folded strings end in a newline; roles and task names are shown without it."""
    return " ".join(str(text).split()) if text is not None else None


def _cut(value):
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= MAX_TEXT_CHARS else text[:MAX_TEXT_CHARS] + f"… ({len(text) - MAX_TEXT_CHARS} more characters)"


def _task_label(task, fallback=None):
    if task is None:
        return _clean(fallback)
    name = getattr(task, "name", None) or getattr(task, "description", None)
    return _clean(name)[:200] if name else _clean(fallback)


def _agent_task(event):
    return {"agent": _clean(getattr(event.agent, "role", None)), "task": _task_label(event.task)}


def _lite_agent(event):
    info = event.agent_info if isinstance(event.agent_info, dict) else {}
    return {"agent": _clean(info.get("role")), "task": None}


def _task_agent(event):
    task = getattr(event, "task", None)
    agent = getattr(task, "agent", None) if task is not None else None
    role = getattr(agent, "role", None) if agent is not None else getattr(event, "agent_role", None)
    return {"task": _task_label(task, getattr(event, "task_name", None)), "agent": _clean(role)}


def _tool(event):
    return {"tool": event.tool_name, "agent": _clean(event.agent_role), "task": _clean(event.task_name)}


def _llm(event):
    return {"model": event.model, "call_id": event.call_id, "agent": _clean(event.agent_role),
            "task": _clean(event.task_name)}


def _method(event):
    return {"flow": event.flow_name, "method": event.method_name}


def _usage(usage):
    """Token counts as every provider names them (OpenAI's prompt/completion, Anthropic's input/output)."""
    if not isinstance(usage, dict):
        return None
    prompt = usage.get("prompt_tokens", usage.get("input_tokens"))
    completion = usage.get("completion_tokens", usage.get("output_tokens"))
    total = usage.get("total_tokens")
    if total is None and isinstance(prompt, int) and isinstance(completion, int):
        total = prompt + completion
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": total}


def _redact(args):
    """Tool arguments with the values of secret-looking names replaced, at any depth; text is cut."""
    if isinstance(args, dict):
        return {key: REDACTED if isinstance(key, str) and _SECRET_NAME.search(key) else _redact(value)
                for key, value in args.items()}
    if isinstance(args, (list, tuple)):
        return [_redact(item) for item in args]
    if isinstance(args, str):
        return _cut(args)
    return args


# ---- ordering ---------------------------------------------------------------------------------

class _EmittingThread:
    """Sends each event from CrewAI's stream sink, on the thread that emits it, so in emission order
    (see the module doc). The bus's handlers send only the events the sink did not see."""

    def __init__(self, send, mapping):
        self._send = send
        self._types = {event_class: (event_type, convert) for event_class, event_type, convert in mapping}
        # id(event) -> weak reference, for the events the sink sent: their handlers skip them. Weak, so
        # an event whose handler never runs (CrewAI's scoped_handlers() hid ours, say) is not kept;
        # the reference is checked, so an id reused after its event is gone matches nothing.
        self._sent = {}

    def sink(self, source, event):
        """CrewAI's stream sink: called by ``emit`` on the emitting thread, before any handler runs."""
        try:
            known = self._types.get(type(event))  # the bus matches handlers by exact class too
            if known is None:
                return
            key = id(event)
            self._sent[key] = weakref.ref(event, lambda _, key=key: self._sent.pop(key, None))
            event_type, convert = known
            data = _convert(event, convert)
            if data is not None:
                self._send(event_type, data)
        except Exception as exc:  # raising here would fail CrewAI's emit and with it the crew
            sys.stderr.write(f"crewship could not send CrewAI's {type(event).__name__}: {exc!r}\n")

    def from_handler(self, event, event_type, convert):
        sent = self._sent.pop(id(event), None)
        if sent is not None and sent() is event:
            return
        data = _convert(event, convert)
        if data is not None:
            self._send(event_type, data)

    def close(self):
        self._sent.clear()


class _Sequencer:
    """Without stream sinks: sends events in CrewAI's emission order as far as it can tell, each
    held ``HOLD_SECONDS`` for earlier ones, then the held events go out lowest key first. An event
    that arrives after a later one was sent (its handler was held up longer than that) is sent at
    once rather than lost."""

    def __init__(self, send, hold=HOLD_SECONDS):
        self._send = send
        self._hold = hold
        self._held = []  # heap of (key, arrival number, arrived at, type, data)
        self._arrivals = itertools.count()
        self._lock = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="crewship-crewai-events", daemon=True)
        self._thread.start()

    def from_handler(self, event, event_type, convert):
        data = _convert(event, convert)
        if data is not None:
            self.add(_order(event), event_type, data)

    def add(self, key, event_type, data):
        """Holds an event; ``key`` orders it among the others (equal keys keep their arrival order)."""
        arrival = next(self._arrivals)
        with self._lock:
            if self._closed:
                self._send(event_type, data)
                return
            heapq.heappush(self._held, (key, arrival, time.monotonic(), event_type, data))
            self._lock.notify()

    def close(self):
        """Sends everything held, in order, and stops; later events are sent at once."""
        with self._lock:
            self._closed = True
            self._lock.notify()
        self._thread.join()

    def _run(self):
        with self._lock:
            while True:
                if self._closed:
                    while self._held:
                        self._send(*heapq.heappop(self._held)[3:])
                    return
                if not self._held:
                    self._lock.wait()
                    continue
                oldest = min(item[2] for item in self._held)
                wait = oldest + self._hold - time.monotonic()
                if wait > 0:
                    self._lock.wait(wait)
                    continue
                # Something has waited long enough: it and everything before it in order go out.
                due = max(item[0] for item in self._held if item[2] + self._hold <= time.monotonic())
                while self._held and self._held[0][0] <= due:
                    self._send(*heapq.heappop(self._held)[3:])

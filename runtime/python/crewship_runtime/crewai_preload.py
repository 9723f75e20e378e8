"""In a warm parent, once, after the crew's import: what CrewAI leaves to the first kickoff of a
process although it depends on nothing of the run (docs/runtime-protocol.md, "Warm starts").

Each step computes exactly what the first run would compute the same way and then keep for the
life of its process: a module imported, a class's schema, a class's cached description. It reads
no run's input or environment, opens no file or socket that stays open, starts no thread, and
never builds or kicks off a crew. So a run forked afterwards is in the state it would reach
itself a few milliseconds into its kickoff, minus those milliseconds (about 20 for
examples/research-crew on CrewAI 1.15). Steps that do not apply to the installed versions are
skipped.
"""
import importlib
import sys

# Modules CrewAI 1.15 imports inside its kickoff (its hook contexts, each agent's skills tool) and
# the table of emoji names rich loads when CrewAI's console output first renders one.
LAZY_MODULES = ("crewai.hooks.contexts", "crewai.skills.tool", "rich._emoji_codes")


def preload():
    """Does the steps when the crew imported CrewAI; returns a line saying what was done, or None."""
    if "crewai" not in sys.modules:
        return None
    modules = sum(_imported(name) for name in LAZY_MODULES)
    models = _completed_models()
    flows = _flow_definitions()
    return f"CrewAI preloaded: {modules} modules, {models} model schemas, {flows} flow definitions"


def _imported(name):
    try:
        importlib.import_module(name)
        return 1
    except ImportError:
        return 0


def _completed_models():
    """Builds the schemas pydantic deferred for CrewAI's own models (forward references it resolves
    on first use, 10 to 20 ms each); ones it cannot resolve yet stay deferred, as without this."""
    from pydantic import BaseModel

    completed = 0
    for model in _subclasses(BaseModel):
        if model.__module__.split(".")[0] == "crewai" and not model.__dict__.get("__pydantic_complete__", True):
            try:
                completed += _rebuilt(model)
            except Exception:  # noqa: BLE001 - left to the run, which builds it on first use as before
                pass
    return completed


def _rebuilt(_crewship_model):
    # model_rebuild() also looks names up in its caller's local variables: this frame has no others.
    return bool(_crewship_model.model_rebuild(raise_errors=False))


def _flow_definitions():
    """CrewAI's Flow classes describe themselves on their first instance (each agent's executor is
    one) and keep the description on the class; the user's Flow classes are left alone."""
    try:
        from crewai.flow.flow import Flow
    except ImportError:
        return 0
    described = 0
    for flow in _subclasses(Flow):
        if flow.__module__.split(".")[0] == "crewai" and callable(getattr(flow, "flow_definition", None)):
            try:
                flow.flow_definition()
                described += 1
            except Exception:  # noqa: BLE001 - described by the run on first use, as before
                pass
    return described


def _subclasses(cls):
    seen = set()
    stack = [cls]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in seen:
                seen.add(sub)
                stack.append(sub)
                yield sub


def start_event_bus():
    """In a spare's pid 1, the run's own process, before its run is known (not in the parent, which
    must start no thread): starts CrewAI's event bus as the first event of every process would, its
    event loop with its thread and one thread of its handler pool, so that the run's first event
    does not wait for them (a few milliseconds, more on a busy machine). Nothing is emitted and no
    handler runs. Returns whether it did; skipped when the crew did not import CrewAI or its bus
    does not start this way."""
    if "crewai" not in sys.modules:
        return False
    try:
        from crewai.events.event_bus import crewai_event_bus
    except ImportError:
        return False
    start = getattr(crewai_event_bus, "_ensure_executor_initialized", None)
    if not callable(start):
        return False
    start()
    pool = getattr(crewai_event_bus, "_sync_executor", None)
    if pool is not None:
        pool.submit(int).result()  # a pool starts its threads on demand: one is there now
    return True

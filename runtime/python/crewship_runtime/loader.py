"""Finds the crew named by ``module:attribute`` and returns how to run it with the run's input.

The kinds of entrypoint (docs/runtime-protocol.md) are told apart by duck typing, never by
importing CrewAI: a crew that uses CrewAI has imported it already, one that does not must not pay
for it.
"""
import importlib
import os
import sys
import types

from crewship_runtime.errors import EntrypointError, type_name

_EXAMPLE = "for example 'hello.crew:kickoff' or 'research_crew.crew:ResearchCrew'"


def prepare_path(app_dir):
    """Puts the app folder and its ``src`` folder (when it exists) at the front of sys.path."""
    folders = [app_dir]
    src = os.path.join(app_dir, "src")
    if os.path.isdir(src):
        folders.append(src)
    sys.path[:] = folders + [entry for entry in sys.path if entry not in folders]


def load(entrypoint, app_dir, on_flow=None):
    """Imports the entrypoint and returns ``run(inputs) -> result``. For a Flow, ``on_flow(flow,
    inputs)`` (when given) is called just before its kickoff and returns the inputs to use."""
    module_name, attribute = _split(entrypoint)
    module = _import(module_name, app_dir)
    target = _attribute(module, module_name, attribute)
    return _runner(target, entrypoint, on_flow or (lambda flow, inputs: inputs))


def _split(entrypoint):
    module_name, colon, attribute = entrypoint.partition(":")
    if module_name.endswith(".py") or "/" in module_name:
        module_path = module_name.removesuffix(".py").replace("/", ".")
        raise EntrypointError(
            f"entrypoint {entrypoint!r} names a file: name the module as Python imports it, without '.py' and with"
            f" '.' for '/' (for example '{module_path}:{attribute or 'kickoff'}')")
    if not colon or not _dotted_name(module_name) or not _dotted_name(attribute):
        raise EntrypointError(f"entrypoint {entrypoint!r} is not of the form 'module:attribute' ({_EXAMPLE})")
    return module_name, attribute


def _dotted_name(text):
    return all(part.isidentifier() for part in text.split("."))


def _import(module_name, app_dir):
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        # Only the entrypoint's own module (or a package above it) missing is an entrypoint
        # problem; a module the crew imports that is missing is the crew's error, traceback and all.
        if e.name and (module_name == e.name or module_name.startswith(e.name + ".")):
            path = e.name.replace(".", "/")
            raise EntrypointError(
                f"entrypoint module {module_name!r} not found: there is no {path}.py or {path}/ package"
                f" in {app_dir} or {os.path.join(app_dir, 'src')}") from None
        raise


def _attribute(module, module_name, attribute):
    target = module
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            where = f"module {module_name!r}" if target is module else f"{module_name}:{attribute}"
            message = f"{where} has no attribute {part!r}"
            suggestion = _close_name(part, target)
            if suggestion:
                message += f"; did you mean {suggestion!r}?"
            raise EntrypointError(message) from None
    return target


def _close_name(name, owner):
    import difflib

    names = [candidate for candidate in dir(owner) if not candidate.startswith("_")]
    matches = difflib.get_close_matches(name, names, n=1)
    return matches[0] if matches else None


def _runner(target, entrypoint, on_flow):
    if isinstance(target, types.ModuleType):
        raise EntrypointError(f"entrypoint {entrypoint!r} names a module; name a function or class in it ({_EXAMPLE})")
    if isinstance(target, type):
        return _class_runner(target, entrypoint, on_flow)
    if _is_flow_class(type(target)):
        return _awaited(lambda inputs: target.kickoff(inputs=on_flow(target, inputs)))
    if _is_crew_base(target):
        return _awaited(lambda inputs: target.crew().kickoff(inputs=inputs))
    if callable(getattr(target, "kickoff", None)):
        # A Crew or Flow object, or anything shaped like one.
        return _awaited(lambda inputs: target.kickoff(inputs=inputs))
    if callable(target):
        return _awaited(target)
    raise EntrypointError(
        f"entrypoint {entrypoint!r} is a {type(target).__name__}, not a function, a class, a Crew or a Flow,"
        " so it cannot be run")


def _class_runner(cls, entrypoint, on_flow):
    if _is_flow_class(cls):
        return _awaited(lambda inputs: _kickoff_flow(cls(), inputs, on_flow))
    if _is_crew_base(cls):
        if not callable(getattr(cls, "crew", None)):
            raise EntrypointError(
                f"entrypoint {entrypoint!r} is the @CrewBase class {cls.__qualname__}, which has no crew() method;"
                " name its @crew method crew(), as `crewai create crew` does")
        # A fresh crew per run, as `crewai run` builds one (or the one a warm parent built for this process).
        return _awaited(lambda inputs: (_prebuilt.pop(cls, None) or cls().crew()).kickoff(inputs=inputs))
    if callable(getattr(cls, "kickoff", None)):
        return _awaited(lambda inputs: cls().kickoff(inputs))
    raise EntrypointError(
        f"entrypoint {entrypoint!r} is the class {cls.__qualname__}, which has neither a crew() method"
        " (a @CrewBase class) nor a kickoff() method")


# A crew a warm parent built before forking: each child takes its own copy once (docs/runtime-protocol.md,
# "Warm starts"). Keyed by the @CrewBase class.
_prebuilt = {}
# What building it left in the run's writable folders (a tar archive), restored into each run's fresh ones.
_prebuilt_files = None
WRITABLE_FOLDERS = ("/tmp", "/dev/shm")
MAX_PREBUILT_FILES_BYTES = 16 * 1024 * 1024


def prebuild(entrypoint, app_dir, writable=WRITABLE_FOLDERS):
    """In a warm parent: builds the crew of a ``@CrewBase`` entrypoint once, so each forked run starts
    with its own copy of an unused crew instead of building one (building CrewAI's LLM clients alone
    costs about 50 ms per TLS context); a CrewAI crew also gets its agents set up as its kickoff
    would (crewai_prebuild). Kept only when building and setting it up opened no file or socket and
    started no thread, so that nothing of it is shared between runs through the kernel; files it
    wrote in ``writable`` (at most 16 MiB; CrewAI creates a SQLite file, say) are kept as an archive
    that :func:`restore_prebuilt_files` puts into each run's own fresh folders. Then each run's copy
    is exactly a fresh crew. Returns a line saying what happened."""
    global _prebuilt_files
    module_name, attribute = _split(entrypoint)
    target = _attribute(importlib.import_module(module_name), module_name, attribute)
    if not isinstance(target, type) or _is_flow_class(target) or not _is_crew_base(target) or not callable(getattr(target, "crew", None)):
        return "nothing to prebuild: the entrypoint is not a @CrewBase class"
    import threading

    fds, threads, files = _open_fds(), threading.active_count(), _tree(writable)
    instance = target()
    crew = instance.crew()
    try:
        agents = _set_up_agents(crew)
    except Exception as exc:  # noqa: BLE001 - the crew is half set up: each run builds and sets up its own
        return _discard(instance, f"setting up its agents failed ({type_name(type(exc))}: {exc})")
    if _open_fds() != fds or threading.active_count() != threads:
        return _discard(instance, "building or setting it up opened files or started threads")
    archive = None
    if _tree(writable) != files:
        archive = _archive(writable)
        if archive is None:
            return _discard(instance, "building it wrote more than 16 MiB")
    _prebuilt[target] = crew
    _prebuilt_files = archive
    return "crew prebuilt" + (f" (with {len(archive)} bytes of files it wrote)" if archive else "") + (f", {agents}" if agents else "")


def _discard(instance, reason):
    """Drops a crew the parent built but will not hand to its runs. CrewAI registers the hook methods
    of a @CrewBase instance (``@before_llm_call`` and the like) globally when the instance is made; left
    registered, they would run a second time, on this instance, beside those of each run's own crew."""
    if "crewai" in sys.modules:
        from crewship_runtime import crewai_prebuild

        crewai_prebuild.forget_hooks(instance)
    return f"crew not prebuilt: {reason}; each run builds its own"


def _set_up_agents(crew):
    """For a CrewAI crew, its kickoff's agent set-up done ahead (crewai_prebuild); a line saying what
    happened, or None for other crews (CrewAI is imported only when the crew imported it)."""
    if "crewai" not in sys.modules:
        return None
    from crewship_runtime import crewai_prebuild

    return crewai_prebuild.set_up_agents(crew)


def restore_prebuilt_files():
    """In a run forked from a warm parent, into its fresh writable folders: the files building the
    prebuilt crew wrote."""
    if _prebuilt_files:
        import io
        import tarfile

        with tarfile.open(fileobj=io.BytesIO(_prebuilt_files)) as archive:
            archive.extractall("/")


def _tree(folders):
    state = {}
    for folder in folders:
        for root, dirs, names in os.walk(folder):
            for name in dirs + names:
                path = os.path.join(root, name)
                try:
                    info = os.lstat(path)
                except OSError:
                    continue
                state[path] = (info.st_mode, info.st_size, info.st_mtime_ns)
    return state


def _archive(folders):
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for folder in folders:
            for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
                archive.add(os.path.join(folder, name), arcname=os.path.join(folder, name).lstrip("/"))
                if buffer.tell() > MAX_PREBUILT_FILES_BYTES:
                    return None
    data = buffer.getvalue()
    return data if len(data) <= MAX_PREBUILT_FILES_BYTES else None


def _open_fds():
    try:
        return sorted(os.listdir("/proc/self/fd"))
    except OSError:
        return None


def _kickoff_flow(flow, inputs, on_flow):
    return flow.kickoff(inputs=on_flow(flow, inputs))


def _is_crew_base(target):
    """A ``@CrewBase`` class or instance: CrewAI marks them ``is_crew_class``; any other with a crew() counts too."""
    return getattr(target, "is_crew_class", False) is True or callable(getattr(target, "crew", None))


def _is_flow_class(cls):
    return any(base.__name__ == "Flow" and base.__module__.split(".")[0] == "crewai" for base in cls.__mro__)


def _awaited(run):
    """Runs an ``async def`` entrypoint's coroutine to its end."""
    def run_to_end(inputs):
        output = run(inputs)
        if isinstance(output, types.CoroutineType):
            import asyncio

            output = asyncio.run(output)
        return output

    return run_to_end

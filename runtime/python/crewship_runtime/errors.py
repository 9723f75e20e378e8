"""The errors the runtime reports itself, and how any exception becomes a protocol ``error``."""
import importlib
import os

# Caps keep a failure report small next to the events; the end of a traceback is what matters.
MAX_FRAMES = 50
MAX_TRACEBACK_CHARS = 8 * 1024
MAX_MESSAGE_CHARS = 8 * 1024

# Frames from here are the runtime's own and importlib's machinery: noise in a crew's traceback.
_HIDDEN_DIRS = (os.path.dirname(os.path.abspath(__file__)) + os.sep, os.path.dirname(importlib.__file__) + os.sep)
_CUT_MARKER = "... (traceback cut to its last 8 KiB)\n"


class RuntimeFailure(Exception):
    """A problem the runtime found itself (not raised by the crew). Reported as ``crewship_runtime.<Name>``."""


class InvalidRunSpec(RuntimeFailure):
    """The run spec on stdin is not what the protocol describes."""


class EntrypointError(RuntimeFailure):
    """The entrypoint of crewship.toml does not name something the runtime can run."""


class ResultTooLarge(RuntimeFailure):
    """The crew's result does not fit in one protocol message."""


# The stable, public names (the classes live here, but users see the package's name).
for _failure in (RuntimeFailure, InvalidRunSpec, EntrypointError, ResultTooLarge):
    _failure.__module__ = "crewship_runtime"


def type_name(cls):
    """``ValueError`` for builtins, ``module.Qualified`` for everything else."""
    module = getattr(cls, "__module__", None)
    qualname = getattr(cls, "__qualname__", None) or cls.__name__
    return qualname if module in (None, "builtins") else f"{module}.{qualname}"


def describe(exc):
    """The ``error`` object of the protocol for ``exc``: type, message and a trimmed traceback."""
    return {"type": type_name(type(exc)), "message": _message(exc), "traceback": _traceback(exc)}


def _message(exc):
    if isinstance(exc, SystemExit):
        return f"the crew called sys.exit({exc.code!r}) instead of returning a result"
    try:
        text = str(exc)
    except Exception:
        text = f"<{type_name(type(exc))} whose message cannot be shown>"
    if len(text) > MAX_MESSAGE_CHARS:
        text = text[:MAX_MESSAGE_CHARS] + "... (message cut to 8 KiB)"
    return text


def _traceback(exc):
    import traceback

    report = traceback.TracebackException(type(exc), exc, exc.__traceback__)
    _trim(report, traceback.StackSummary)
    text = "".join(report.format())
    if len(text) > MAX_TRACEBACK_CHARS:
        tail = text[len(text) - (MAX_TRACEBACK_CHARS - len(_CUT_MARKER)):]
        newline = tail.find("\n")
        text = _CUT_MARKER + (tail[newline + 1:] if 0 <= newline < len(tail) - 1 else tail)
    return text


def _trim(report, stack_summary):
    """Drops the runtime's own frames and importlib's machinery, and keeps the last MAX_FRAMES,
    in the exception and every exception chained to it: the user sees their code only."""
    pending, seen = [report], set()
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        frames = [frame for frame in current.stack if not _hidden(frame.filename)]
        current.stack = stack_summary.from_list(frames[-MAX_FRAMES:])
        pending.extend((current.__cause__, current.__context__))
        pending.extend(getattr(current, "exceptions", None) or ())


def _hidden(filename):
    return filename.startswith(_HIDDEN_DIRS) or filename.startswith("<frozen importlib")


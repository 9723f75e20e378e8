"""crewship_runtime: runs one crew inside a Crewship sandbox and speaks the runtime protocol
(docs/runtime-protocol.md). Started as ``python -m crewship_runtime``; crew code uses ``sdk``.

This package imports nothing heavy: it is loaded on every run, before the crew's own code."""
from crewship_runtime.errors import EntrypointError, InvalidRunSpec, ResultTooLarge, RuntimeFailure

__all__ = ["EntrypointError", "InvalidRunSpec", "ResultTooLarge", "RuntimeFailure"]

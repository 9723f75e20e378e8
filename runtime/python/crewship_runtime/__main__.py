"""``python -m crewship_runtime``: the sandbox's entrypoint (docs/runtime-protocol.md)."""
import faulthandler
import os
import sys

from crewship_runtime.channel import Channel

# The real stderr carries only the runtime's own last words: the executor shows its tail when a
# run ends without a result or error. A crash of the interpreter itself (a C extension's
# segfault) leaves its Python stack there too.
diagnostics = os.dup(2)
faulthandler.enable(diagnostics, all_threads=True)
try:
    # First thing, before any user code: the protocol gets the real stdout, the crew gets pipes.
    channel = Channel.open()
    from crewship_runtime.runner import run

    line, exit_code = run(sys.stdin.buffer)
    channel.finish(line)
except BaseException:  # the runtime itself broke: no protocol message can say so
    import traceback

    os.write(diagnostics, ("crewship_runtime failed: " + traceback.format_exc()).encode("utf-8", "replace"))
    exit_code = 70
# Exit now: threads or atexit handlers the crew left behind must not keep a finished run alive.
os._exit(exit_code)

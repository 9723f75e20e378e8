"""A stand-in for crewship_runtime that misbehaves on purpose: it writes exactly what the run's input
tells it to the protocol channel (stdout) and to stderr, then sleeps, exits or kills itself. The
executor tests use it to check what happens when a runtime breaks the protocol."""

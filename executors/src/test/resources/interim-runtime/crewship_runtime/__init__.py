"""Interim stand-in for the real crewship_runtime (runtime/python) while it is being written."""

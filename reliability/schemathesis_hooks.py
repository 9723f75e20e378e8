"""Schemathesis hooks for fuzzing the Crewship API (reliability/bad_input.py loads them through
SCHEMATHESIS_HOOKS): a deployment upload's body is `application/gzip`, which schemathesis has no
serializer for; the generated bodies are sent as raw bytes, as for `application/octet-stream`, so the
upload endpoint is fuzzed with arbitrary bytes (every one must be answered with a clean 4xx)."""
import schemathesis

schemathesis.serializer.alias("application/gzip", "application/octet-stream")

#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs dependencies, builds, then runs the Java
# tests (unit + integration against real SQLite, bubblewrap and Python), the Python runtime tests,
# the end-to-end tests against the real server, the seed conformance script, the README quickstart, and
# the benchmark and reliability suites in their quick modes (a smoke test: they must run and their
# reliability checks must hold; no speed is asserted).
# .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
. scripts/lib/jdk.sh
crewship_select_jdk

echo "==> Java: build and test every module"
mvn -B -ntp install

echo "==> Python runtime tests (real CrewAI crews on the cached CrewAI) and the fake LLM's tests"
python3 -m pytest -q runtime/python/tests tools/fake-llm/tests

echo "==> end-to-end tests (real server, curl, SSE, sandboxes)"
python3 -m pytest -q tests/e2e

echo "==> README quickstart, followed literally"
./scripts/quickstart.sh

shared="${CREWSHIP_SHARED_DIR:-../shared}"
if [ -f "$shared/conformance/seed_conformance.py" ]; then
  echo "==> seed conformance"
  python3 "$shared/conformance/seed_conformance.py" runs
else
  echo "error: seed conformance script not found at $shared/conformance (set CREWSHIP_SHARED_DIR)" >&2
  exit 1
fi

echo "==> benchmark and reliability suites, quick mode (figures in bench/results-quick/, not published)"
./scripts/bench.sh --quick
./scripts/reliability.sh --quick

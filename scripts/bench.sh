#!/usr/bin/env bash
# Runs the benchmark suite against the real server and the LangGraph peer on this machine, then writes
# BENCHMARKS.md and its charts. Installs what it needs first (scripts/install-deps.sh, wrk, a cached
# virtualenv with the chart and fuzzing tools, the peer's virtualenv) and builds Crewship if needed.
#   ./scripts/bench.sh [--quick] [--only NAME[,NAME…]]     (bench/README.md lists the names)
set -euo pipefail
cd "$(dirname "$0")/.."
exec ./scripts/lib/suite.sh bench "$@"

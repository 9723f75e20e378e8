#!/usr/bin/env bash
# Runs the reliability suite (crash, races, bad input, soak) against the real server, then writes
# BENCHMARKS.md. Installs what it needs first and builds Crewship if needed.
#   ./scripts/reliability.sh [--quick] [--only NAME[,NAME…]]     (bench/README.md lists the names)
set -euo pipefail
cd "$(dirname "$0")/.."
exec ./scripts/lib/suite.sh reliability "$@"

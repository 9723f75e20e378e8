#!/usr/bin/env bash
# What scripts/bench.sh and scripts/reliability.sh share: install, build, then bench/run.py SUITE ARGS….
set -euo pipefail
cd "$(dirname "$0")/../.."
suite=$1; shift
./scripts/install-deps.sh
. scripts/lib/jdk.sh
. scripts/lib/bench.sh
crewship_select_jdk
crewship_bench_apt
python=$(crewship_bench_venv bench/requirements.txt python3)
# The LangGraph peer in its own virtualenv (its pins must not meet ours); bench/peer_langgraph.py runs its
# `langgraph` from beside this python.
if [ "$suite" = bench ]; then
  CREWSHIP_LANGGRAPH_PYTHON=$(crewship_bench_venv bench/peers/langgraph/requirements.txt python3)
  export CREWSHIP_LANGGRAPH_PYTHON
fi
# Build when there is no jar or any source is newer than it: figures must be of the code at this commit.
if [ ! -f cli/target/crewship.jar ] || [ ! -f cli/target/crewship-client.jar ] || [ -n "$(find core store executors server cli runtime -newer cli/target/crewship.jar -type f -not -path '*/target/*' -not -path '*/__pycache__/*' -print -quit)" ]; then
  echo "==> building Crewship"
  mvn -B -ntp -q install -DskipTests
fi
exec "$python" bench/run.py "$suite" "$@"

#!/usr/bin/env bash
# Follows the README's Quickstart literally on a fresh clone of this repository, and fails when any
# step does. The steps are read from README.md (the shell block between `<!-- quickstart:begin -->`
# and `<!-- quickstart:end -->`) and run in one shell, in order, as a user would type them; the only
# substitution is the one a user makes by reading: `run_…` and `dep_…` become the last run and
# deployment ids printed so far. So the README cannot drift from what works. A clone holds what is
# committed: uncommitted changes (to README.md too) are not what this checks.
#
# Isolation from the machine it runs on: the clone lives in a temporary folder, the server gets a
# free port and a temporary data dir (CREWSHIP_PORT and CREWSHIP_DATA_DIR, as the README documents),
# the CLI's login file goes to a temporary XDG_CONFIG_HOME, and CREWSHIP_* settings of the caller are
# dropped. Everything is removed at the end, and the server is stopped even when a step failed.
#   QUICKSTART_KEEP=1  keep the temporary folder (for a look after a failure)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)

work=$(mktemp -d /tmp/crewship-quickstart-XXXXXX)
# The sandboxed runs' uids must traverse every folder above the data dir (mktemp makes it 0700).
chmod 755 "$work"
clone="$work/crewship"
export CREWSHIP_DATA_DIR="$work/data"
CREWSHIP_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export CREWSHIP_PORT
export XDG_CONFIG_HOME="$work/config"
unset CREWSHIP_URL CREWSHIP_API_KEY CREWSHIP_PROJECT

cleanup() {
  local code=$?
  if [ -f "$CREWSHIP_DATA_DIR/server.pid" ] && kill -0 "$(cat "$CREWSHIP_DATA_DIR/server.pid")" 2>/dev/null; then
    [ "$code" -eq 0 ] || { echo "--- last lines of the server log"; tail -n 30 "$CREWSHIP_DATA_DIR/server.log"; } >&2
    "$clone/scripts/stop.sh" >/dev/null 2>&1 || kill -KILL "$(cat "$CREWSHIP_DATA_DIR/server.pid")" 2>/dev/null || true
  fi
  if [ "${QUICKSTART_KEEP:-0}" = 1 ]; then
    echo "quickstart: kept $work" >&2
  else
    rm -rf "$work"
  fi
  exit "$code"
}
trap cleanup EXIT

echo "==> fresh clone of $src into $clone"
git clone -q "$src" "$clone"
cd "$clone"

# The steps: the README block's lines, without blank lines and the fence.
readme="$clone/README.md"
steps=$(sed -n '/^<!-- quickstart:begin -->$/,/^<!-- quickstart:end -->$/p' "$readme" | sed '1,2d;$d' | sed '$d' | grep -v '^[[:space:]]*$' || true)
if [ -z "$steps" ] || ! grep -q '^```sh$' <(sed -n '/^<!-- quickstart:begin -->$/,+1p' "$readme"); then
  echo "error: no quickstart block (\`\`\`sh between <!-- quickstart:begin --> and <!-- quickstart:end -->) in $readme" >&2
  exit 1
fi

# Everything from here on is shown and kept in the transcript, where the next steps find the ids.
transcript="$work/transcript.txt"
exec > >(tee -a "$transcript") 2>&1
# Waits until the transcript holds all output so far (tee runs on its own): a marker line got through.
flush_transcript() {
  local marker="quickstart-flush-$1" tries=0
  echo "$marker" >&2
  until grep -qx "$marker" "$transcript"; do
    tries=$((tries + 1))
    [ "$tries" -lt 500 ] || { echo "error: the transcript stopped growing" >&2; exit 1; }
    sleep 0.01
  done
}

n=0
while IFS= read -r step; do
  n=$((n + 1))
  flush_transcript "$n"
  run_id=$(grep -o 'run_[A-Za-z0-9]\+' "$transcript" | tail -n 1 || true)
  dep_id=$(grep -o 'dep_[A-Za-z0-9]\+' "$transcript" | tail -n 1 || true)
  command=$step
  if [[ "$command" == *"run_…"* ]]; then
    [ -n "$run_id" ] || { echo "error: step $n needs a run id, but no step printed one: $step" >&2; exit 1; }
    command=${command//run_…/$run_id}
  fi
  if [[ "$command" == *"dep_…"* ]]; then
    [ -n "$dep_id" ] || { echo "error: step $n needs a deployment id, but no step printed one: $step" >&2; exit 1; }
    command=${command//dep_…/$dep_id}
  fi
  echo "==> [$n] $command"
  # In this shell, so cd and export carry over to the next step, as they do for a user.
  status=0
  eval "$command" </dev/null || status=$?
  if [ "$status" -ne 0 ]; then
    echo "error: quickstart step $n failed (exit $status): $step" >&2
    exit 1
  fi
done <<<"$steps"

# What the quickstart promises, checked on what it left behind.
report="$clone/examples/hello/report.md"
grep -q '^# Report: AI agents$' "$report" || { echo "error: $report is missing or is not the hello crew's report" >&2; exit 1; }
flush_transcript end
grep -q 'run\.completed' "$transcript" || { echo "error: invoke --stream showed no run.completed event" >&2; exit 1; }
if [ -f "$CREWSHIP_DATA_DIR/server.pid" ] && kill -0 "$(cat "$CREWSHIP_DATA_DIR/server.pid")" 2>/dev/null; then
  echo "error: the quickstart's last step should have stopped the server" >&2
  exit 1
fi
echo "==> quickstart passed ($n steps)"

#!/usr/bin/env bash
# Stops a server started by scripts/start.sh (graceful: SIGTERM, then waits).
set -euo pipefail
if [ "$(id -u)" -eq 0 ]; then default_data=/var/lib/crewship; else default_data="$HOME/.local/share/crewship"; fi
DATA=${CREWSHIP_DATA_DIR:-$default_data}
pid_file="$DATA/server.pid"
if [ ! -f "$pid_file" ] || ! kill -0 "$(cat "$pid_file")" 2>/dev/null; then
  echo "Crewship is not running (no live pid in $pid_file)"; exit 0
fi
pid=$(cat "$pid_file")
kill -TERM "$pid"
for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
if kill -0 "$pid" 2>/dev/null; then echo "error: server $pid did not stop within 30 s" >&2; exit 1; fi
rm -f "$pid_file"
echo "Crewship stopped"

#!/usr/bin/env bash
# Installs what Crewship needs, builds it, and starts the server with its embedded defaults
# (SQLite store and artifacts in the data dir, bubblewrap sandboxes) in the background.
#   CREWSHIP_DATA_DIR  where everything is kept (default /var/lib/crewship as root, else ~/.local/share/crewship)
#   CREWSHIP_PORT      HTTP port on 127.0.0.1 (default 8080)
# The first start also logs the CLI in to it (`crewship login`), unless the CLI has a login already.
# Stop it with scripts/stop.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh

if [ "$(id -u)" -eq 0 ]; then default_data=/var/lib/crewship; else default_data="$HOME/.local/share/crewship"; fi
DATA=${CREWSHIP_DATA_DIR:-$default_data}
PORT=${CREWSHIP_PORT:-8080}
URL="http://127.0.0.1:$PORT"
mkdir -p "$DATA"

if [ -f "$DATA/server.pid" ] && kill -0 "$(cat "$DATA/server.pid")" 2>/dev/null; then
  echo "==> Crewship is already running (pid $(cat "$DATA/server.pid")) at $URL"
else
  echo "==> starting the Crewship server on $URL (data in $DATA, log in $DATA/server.log)"
  nohup bin/crewship server --port "$PORT" --data-dir "$DATA" >>"$DATA/server.log" 2>&1 </dev/null &
  echo $! >"$DATA/server.pid"
  for _ in $(seq 1 300); do
    curl -fsS "$URL/health" >/dev/null 2>&1 && break
    if ! kill -0 "$(cat "$DATA/server.pid")" 2>/dev/null; then
      echo "error: the server exited; last lines of $DATA/server.log:" >&2; tail -n 20 "$DATA/server.log" >&2; exit 1
    fi
    sleep 0.2
  done
  curl -fsS "$URL/health" >/dev/null || { echo "error: the server did not become ready; see $DATA/server.log" >&2; exit 1; }
fi

# Log the CLI of this machine in to the server (as `crewship login` does), unless it already has a login:
# then `crewship` commands need no URL or key. An existing login is left alone, never overwritten.
login_file="${XDG_CONFIG_HOME:-$HOME/.config}/crewship/config.toml"
if [ -f "$login_file" ]; then
  login_note="The CLI keeps its existing login ($login_file). To use this server instead:
  crewship login --url $URL < $DATA/admin-key"
else
  env -u CREWSHIP_URL -u CREWSHIP_API_KEY bin/crewship login --url "$URL" <"$DATA/admin-key" >/dev/null
  login_note="The crewship CLI is logged in to it with that key (saved in $login_file, mode 600)."
fi

cat <<MSG

Crewship is running at $URL. The admin API key is in $DATA/admin-key (keep it secret).
$login_note

Deploy and invoke the example crew (README.md, Quickstart):

  export PATH="$PWD/bin:\$PATH"
  cd examples/hello
  crewship deploy
  crewship invoke --input '{"topic": "AI agents"}' --stream

Stop the server with: scripts/stop.sh
MSG

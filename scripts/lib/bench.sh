# Sourced by scripts/bench.sh and scripts/reliability.sh: the tools the benchmark and reliability suites
# need beyond scripts/install-deps.sh, installed once and reused.
#   wrk (Debian): the loopback HTTP load generator.
#   a virtualenv per requirements file under $CREWSHIP_CACHE_DIR/venvs/, named after the file's hash so a
#   changed pin builds a new one: bench/requirements.txt (matplotlib for the charts, schemathesis for
#   fuzzing) and each peer's requirements (bench/peers/*/requirements.txt).
. scripts/lib/crewai.sh

crewship_bench_apt() {
  local need=()
  command -v wrk >/dev/null 2>&1 || need+=(wrk)
  if [ ${#need[@]} -gt 0 ]; then
    echo "==> apt-get install ${need[*]}"
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
  fi
}

# crewship_bench_venv REQUIREMENTS_FILE PYTHON -> prints the virtualenv's python. The uv cache keeps the
# wheels, so rebuilding after a pin change downloads only what changed.
crewship_bench_venv() {
  local req=$1 python=${2:-python3} hash venv
  hash=$(sha256sum "$req" | cut -c1-12)
  venv="$CREWSHIP_CACHE_DIR/venvs/$(basename "$(dirname "$req")")-$hash"
  if [ ! -f "$venv/.complete" ]; then
    echo "==> building $venv from $req" >&2
    rm -rf "$venv"
    uv venv -q --python "$python" "$venv" >&2
    uv pip install -q --python "$venv/bin/python" -r "$req" >&2
    touch "$venv/.complete"
  fi
  echo "$venv/bin/python"
}

# Sourced by the project's scripts: where the CrewAI the tests use is cached, and how to fill the cache.
# The version is the one the examples pin (examples/*/pyproject.toml); the tests check they agree.
CREWSHIP_CREWAI_VERSION=1.15.30
CREWSHIP_CACHE_DIR=${CREWSHIP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/crewship}
# Every wheel `crewai==VERSION` needs on Debian's python3.11 (the interpreter deployments use): with
# UV_OFFLINE=1 and UV_FIND_LINKS pointing here, the server's environment builds install CrewAI with no index.
export CREWSHIP_WHEELHOUSE="$CREWSHIP_CACHE_DIR/wheels/crewai-$CREWSHIP_CREWAI_VERSION"
# A virtualenv with that CrewAI, for the runtime's tests (they run crews through crewship_runtime on it).
export CREWSHIP_CREWAI_VENV="$CREWSHIP_CACHE_DIR/venvs/crewai-$CREWSHIP_CREWAI_VERSION"

# Downloads the wheels once (about 280 MB, a minute; the virtualenv is about 1 GB), then builds the virtualenv from them offline.
crewship_cache_crewai() {
  if [ ! -f "$CREWSHIP_WHEELHOUSE/.complete" ]; then
    echo "==> downloading crewai==$CREWSHIP_CREWAI_VERSION and its dependencies into $CREWSHIP_WHEELHOUSE"
    rm -rf "$CREWSHIP_WHEELHOUSE.partial"
    mkdir -p "$CREWSHIP_WHEELHOUSE.partial"
    /usr/bin/python3.11 -m pip download -q --disable-pip-version-check --only-binary=:all: \
      --dest "$CREWSHIP_WHEELHOUSE.partial" "crewai==$CREWSHIP_CREWAI_VERSION"
    touch "$CREWSHIP_WHEELHOUSE.partial/.complete"
    rm -rf "$CREWSHIP_WHEELHOUSE"
    mv "$CREWSHIP_WHEELHOUSE.partial" "$CREWSHIP_WHEELHOUSE"
  fi
  if [ ! -f "$CREWSHIP_CREWAI_VENV/.complete" ]; then
    echo "==> building $CREWSHIP_CREWAI_VENV from the cached wheels (offline)"
    rm -rf "$CREWSHIP_CREWAI_VENV"
    uv venv -q --python /usr/bin/python3.11 "$CREWSHIP_CREWAI_VENV"
    # --no-cache: a one-off install from local wheels; a uv cache folder would only be left behind.
    UV_OFFLINE=1 uv pip install -q --no-cache --python "$CREWSHIP_CREWAI_VENV/bin/python" \
      --find-links "$CREWSHIP_WHEELHOUSE" --compile-bytecode "crewai==$CREWSHIP_CREWAI_VERSION"
    touch "$CREWSHIP_CREWAI_VENV/.complete"
  fi
}

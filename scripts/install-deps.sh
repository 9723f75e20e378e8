#!/usr/bin/env bash
# Installs what Crewship needs on a fresh Debian machine; safe to run again (skips what is present).
#   system: bubblewrap (the run sandbox), Debian's python3.11 + venv + pip (the interpreter deployments use),
#           postgresql (the PostgreSQL store contract tests start a throwaway server),
#           util-linux (setpriv, prlimit), curl, maven; a JDK >= 21 must exist under /usr/lib/jvm.
#   python: uv (fast dependency installs for deployments) and pytest (the test suite), from PyPI;
#           crewai (the version the examples pin) cached as wheels plus a virtualenv built from them,
#           for the tests that run real CrewAI crews offline (scripts/lib/crewai.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/jdk.sh
. scripts/lib/crewai.sh

need_apt=()
for pkg in bubblewrap python3.11 python3.11-venv python3-venv python3-pip util-linux curl maven procps postgresql; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "==> apt-get install ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

crewship_select_jdk

missing_py=()
python3 -c 'import pytest' 2>/dev/null || missing_py+=("pytest")
command -v uv >/dev/null 2>&1 || missing_py+=("uv")
if [ ${#missing_py[@]} -gt 0 ]; then
  echo "==> pip install ${missing_py[*]}"
  python3 -m pip install -q --disable-pip-version-check "${missing_py[@]}"
fi
crewship_cache_crewai
echo "==> dependencies ready (JAVA_HOME=$JAVA_HOME, $(bwrap --version), $(/usr/bin/python3.11 --version), uv $(uv --version 2>/dev/null | cut -d' ' -f2), crewai $CREWSHIP_CREWAI_VERSION cached)"

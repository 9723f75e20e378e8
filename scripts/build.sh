#!/usr/bin/env bash
# Builds the distribution (cli/target/crewship.jar holds server and CLI; cli/target/crewship-client.jar
# the CLI alone, which bin/crewship starts client commands from). Maven's local repository
# (~/.m2) caches every dependency between builds.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/jdk.sh
crewship_select_jdk
echo "==> building the distribution with $JAVA_HOME"
mvn -B -q -DskipTests install

# Sourced by the project's scripts: selects the newest JDK >= 21 under /usr/lib/jvm (the machine's
# default java is 17; the code targets Java 21) and exports JAVA_HOME and PATH.
crewship_select_jdk() {
  local best="" best_major=0 dir major
  for dir in /usr/lib/jvm/*/; do
    dir=${dir%/}
    [ -x "$dir/bin/javac" ] || continue
    major=$("$dir/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
    major=${major%%.*}
    [ -n "$major" ] || continue
    if [ "$major" -ge 21 ] && [ "$major" -gt "$best_major" ]; then best=$dir; best_major=$major; fi
  done
  if [ -z "$best" ]; then
    echo "error: no JDK >= 21 found under /usr/lib/jvm (install one, e.g. apt-get install openjdk-21-jdk-headless)" >&2
    return 1
  fi
  export JAVA_HOME=$best
  export PATH="$JAVA_HOME/bin:$PATH"
}

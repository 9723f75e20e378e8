package dev.crewship.deployment;

import dev.crewship.error.CrewshipException;
import dev.crewship.error.ProblemType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.tomlj.Toml;
import org.tomlj.TomlArray;
import org.tomlj.TomlParseError;
import org.tomlj.TomlParseResult;
import org.tomlj.TomlTable;

/**
 * Reads {@code crewship.toml} (docs/crewship-toml.md) into a {@link DeploymentConfig}. Strict on
 * purpose: an unknown key or a value of the wrong type is a 422 naming the key, so a typo never
 * silently drops a limit.
 */
public final class CrewshipToml {
    public static final String FILE_NAME = "crewship.toml";
    public static final String DEFAULT_PYTHON = "3.11";

    /** {@code module:attribute}; both dotted Python identifiers ({@code pkg.crew:ResearchCrew}). */
    public static final Pattern ENTRYPOINT = Pattern.compile(
            "^([A-Za-z_][A-Za-z0-9_]*(?:\\.[A-Za-z_][A-Za-z0-9_]*)*):([A-Za-z_][A-Za-z0-9_]*(?:\\.[A-Za-z_][A-Za-z0-9_]*)*)$");

    /** Longest run timeout and CPU time accepted; far beyond any sensible crew, it only guards against overflow. */
    static final Duration MAX_DURATION = Duration.ofDays(30);
    /** Smallest memory limit: below this even the interpreter cannot start. */
    static final long MIN_MEMORY_MB = 64;

    private static final Pattern PYTHON = Pattern.compile("^3\\.\\d{1,2}$");
    private static final Pattern HUMAN_DURATION = Pattern.compile("^(\\d{1,9})\\s*(s|m|h)$");
    private static final Map<String, Set<String>> KNOWN = Map.of(
            "deployment", Set.of("framework", "entrypoint", "python", "profile"),
            "build", Set.of("exclude"),
            "runtime", Set.of("timeout", "memory_mb", "max_processes", "cpu_seconds", "network", "llm_tokens"));

    private CrewshipToml() {
    }

    /** Parses the text of a crewship.toml; throws {@code invalid-bundle} (422) with the reason. */
    public static DeploymentConfig parse(String text) {
        TomlParseResult toml = Toml.parse(text);
        if (toml.hasErrors()) {
            TomlParseError error = toml.errors().get(0);
            throw invalid("is not valid TOML: " + error.getMessage() + " (line " + error.position().line()
                    + ", column " + error.position().column() + ")");
        }
        for (String key : toml.keySet()) {
            if (!KNOWN.containsKey(key)) {
                throw invalid("has an unknown key \"" + key + "\"; known tables: [deployment], [build], [runtime]");
            }
            if (!(toml.get(List.of(key)) instanceof TomlTable table)) {
                throw invalid("key \"" + key + "\" must be a table ([" + key + "])");
            }
            for (String inner : table.keySet()) {
                if (!KNOWN.get(key).contains(inner)) {
                    throw invalid("has an unknown key \"" + inner + "\" in [" + key + "]; known keys: "
                            + KNOWN.get(key).stream().sorted().collect(Collectors.joining(", ")));
                }
            }
        }
        TomlTable deployment = table(toml, "deployment");
        if (deployment == null) {
            throw invalid("has no [deployment] table; it needs at least framework = \"crewai\" and entrypoint = \"module:attribute\"");
        }
        TomlTable build = table(toml, "build");
        TomlTable runtime = table(toml, "runtime");

        String framework = string(deployment, "deployment", "framework");
        if (framework == null) {
            throw invalid("[deployment] framework is required; set framework = \"crewai\"");
        }
        if (!framework.equals("crewai")) {
            throw invalid("[deployment] framework = \"" + framework + "\" is not supported; the only framework is \"crewai\"");
        }
        String entrypoint = string(deployment, "deployment", "entrypoint");
        if (entrypoint == null) {
            throw invalid("[deployment] entrypoint is required, as \"module:attribute\" (e.g. \"research_crew.crew:ResearchCrew\")");
        }
        if (!ENTRYPOINT.matcher(entrypoint).matches()) {
            throw invalid("[deployment] entrypoint \"" + entrypoint + "\" is not \"module:attribute\" (e.g. \"research_crew.crew:ResearchCrew\")");
        }
        String python = string(deployment, "deployment", "python");
        if (python == null) {
            python = DEFAULT_PYTHON;
        } else if (!PYTHON.matcher(python).matches()) {
            throw invalid("[deployment] python = \"" + python + "\" is not a Python version such as \"3.11\"");
        }
        String profile = string(deployment, "deployment", "profile");
        if (profile != null && !profile.equals("slim")) {
            // Published Crewship configs say profile = "slim"; that is the only kind of environment built here.
            throw invalid("[deployment] profile = \"" + profile + "\" is not supported; the only profile is \"slim\"");
        }

        return new DeploymentConfig(
                framework,
                entrypoint,
                python,
                build == null ? List.of() : strings(build, "build", "exclude"),
                runtime == null ? DeploymentConfig.DEFAULT_TIMEOUT : duration(runtime, "timeout", DeploymentConfig.DEFAULT_TIMEOUT),
                runtime == null ? DeploymentConfig.DEFAULT_MEMORY_MB : number(runtime, "memory_mb", DeploymentConfig.DEFAULT_MEMORY_MB, MIN_MEMORY_MB, Long.MAX_VALUE / (1024 * 1024)),
                runtime == null ? DeploymentConfig.DEFAULT_MAX_PROCESSES
                        : (int) number(runtime, "max_processes", DeploymentConfig.DEFAULT_MAX_PROCESSES, 1, Integer.MAX_VALUE),
                runtime == null ? DeploymentConfig.DEFAULT_CPU_TIME
                        : Duration.ofSeconds(number(runtime, "cpu_seconds", DeploymentConfig.DEFAULT_CPU_TIME.toSeconds(), 1, MAX_DURATION.toSeconds())),
                runtime != null && bool(runtime, "network"),
                runtime != null && bool(runtime, "llm_tokens"));
    }

    /** The module part of an entrypoint ({@code pkg.crew} of {@code pkg.crew:ResearchCrew}). */
    public static String module(String entrypoint) {
        return entrypoint.substring(0, entrypoint.indexOf(':'));
    }

    /**
     * The files that can hold an entrypoint's module, relative to the bundle root: the module as a
     * file or a package, at the root or under {@code src/} (the runtime puts both on sys.path).
     */
    public static List<String> moduleCandidates(String entrypoint) {
        String path = module(entrypoint).replace('.', '/');
        List<String> candidates = new ArrayList<>();
        for (String base : List.of("", "src/")) {
            candidates.add(base + path + ".py");
            candidates.add(base + path + "/__init__.py");
        }
        return candidates;
    }

    private static TomlTable table(TomlTable toml, String key) {
        return (TomlTable) toml.get(List.of(key));
    }

    private static String string(TomlTable table, String tableName, String key) {
        Object value = table.get(List.of(key));
        if (value == null) {
            return null;
        }
        if (!(value instanceof String text)) {
            throw wrongType(tableName, key, "a string");
        }
        return text;
    }

    private static List<String> strings(TomlTable table, String tableName, String key) {
        Object value = table.get(List.of(key));
        if (value == null) {
            return List.of();
        }
        if (!(value instanceof TomlArray array) || !array.toList().stream().allMatch(String.class::isInstance)) {
            throw wrongType(tableName, key, "a list of strings");
        }
        return array.toList().stream().map(String.class::cast).toList();
    }

    private static long number(TomlTable table, String key, long fallback, long min, long max) {
        Object value = table.get(List.of(key));
        if (value == null) {
            return fallback;
        }
        if (!(value instanceof Long number)) {
            throw wrongType("runtime", key, "a whole number");
        }
        if (number < min || number > max) {
            throw invalid("[runtime] " + key + " = " + number + " is out of range; it must be between " + min + " and " + max);
        }
        return number;
    }

    private static boolean bool(TomlTable table, String key) {
        Object value = table.get(List.of(key));
        if (value == null) {
            return false;
        }
        if (!(value instanceof Boolean flag)) {
            throw wrongType("runtime", key, "true or false");
        }
        return flag;
    }

    /** {@code "90s"}, {@code "15m"}, {@code "1h"} or a whole number of seconds. */
    private static Duration duration(TomlTable table, String key, Duration fallback) {
        Object value = table.get(List.of(key));
        Duration duration;
        if (value == null) {
            return fallback;
        } else if (value instanceof Long seconds) {
            duration = Duration.ofSeconds(Math.min(seconds, MAX_DURATION.toSeconds() + 1));
        } else if (value instanceof String text && HUMAN_DURATION.matcher(text.strip()).matches()) {
            Matcher matcher = HUMAN_DURATION.matcher(text.strip());
            matcher.matches();
            long amount = Long.parseLong(matcher.group(1));
            duration = switch (matcher.group(2)) {
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                default -> Duration.ofHours(amount);
            };
        } else {
            throw wrongType("runtime", key, "a duration such as \"90s\", \"15m\", \"1h\" or a number of seconds");
        }
        if (duration.isNegative() || duration.isZero() || duration.compareTo(MAX_DURATION) > 0) {
            throw invalid("[runtime] " + key + " must be more than 0 seconds and at most " + MAX_DURATION.toDays() + " days");
        }
        return duration;
    }

    private static CrewshipException wrongType(String table, String key, String expected) {
        return invalid("[" + table + "] " + key + " must be " + expected);
    }

    private static CrewshipException invalid(String detail) {
        String text = detail.startsWith("[") ? FILE_NAME + ": " + detail : FILE_NAME + " " + detail;
        return new CrewshipException(ProblemType.INVALID_BUNDLE, text);
    }
}

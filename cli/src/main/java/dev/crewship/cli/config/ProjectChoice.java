package dev.crewship.cli.config;

import dev.crewship.cli.CliException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The project a command works on and why: {@code --project}, else {@code CREWSHIP_PROJECT}, else the
 * name of the crew folder (the current folder, when it holds a {@code crewship.toml}), made into a
 * valid project name ({@code Research_Crew} → {@code research-crew}). {@code crewship.toml} keeps the
 * published shape, so the project is never read from it.
 *
 * @param source where the name came from: "--project", "CREWSHIP_PROJECT" or "the crew folder's name"
 */
public record ProjectChoice(String name, String source) {
    public static final String PROJECT_ENV = "CREWSHIP_PROJECT";
    /** The API's rule for project names (docs/api.md). */
    public static final Pattern NAME = Pattern.compile("^[a-z][a-z0-9-]{1,62}[a-z0-9]$");

    public boolean fromFlag() {
        return "--project".equals(source);
    }

    /** {@code project hello (from the crew folder's name)}, for the note commands print. */
    public String describe() {
        return "project " + name + " (from " + source + ")";
    }

    /** The project, or a one-line error listing the three ways to name one. */
    public static ProjectChoice require(String flag, Map<String, String> env, Path workingDir) {
        return find(flag, env, workingDir).orElseThrow(() -> new CliException(
                "which project? pass --project NAME, set " + PROJECT_ENV + ", or run this inside a crew folder (one with a crewship.toml)"));
    }

    /** The project if one is named anywhere; list commands show everything without one. */
    public static Optional<ProjectChoice> find(String flag, Map<String, String> env, Path workingDir) {
        return explicit(flag, env).or(() -> fromCrewFolder(workingDir));
    }

    /** The project named by {@code --project} or {@code CREWSHIP_PROJECT}, ignoring the folder. */
    public static Optional<ProjectChoice> explicit(String flag, Map<String, String> env) {
        if (flag != null && !flag.isBlank()) {
            return Optional.of(new ProjectChoice(flag.trim(), "--project"));
        }
        String fromEnv = env.get(PROJECT_ENV);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return Optional.of(new ProjectChoice(fromEnv.trim(), PROJECT_ENV));
        }
        return Optional.empty();
    }

    private static Optional<ProjectChoice> fromCrewFolder(Path workingDir) {
        if (!Files.isRegularFile(workingDir.resolve("crewship.toml"))) {
            return Optional.empty();
        }
        Path folder = workingDir.toAbsolutePath().normalize().getFileName();
        String original = folder == null ? "" : folder.toString();
        String name = fromFolderName(original);
        if (!NAME.matcher(name).matches()) {
            throw new CliException("the crew folder's name '" + original + "' does not make a valid project name"
                    + " (lowercase letters, digits and '-', 3-64 characters): pass --project NAME");
        }
        return Optional.of(new ProjectChoice(name, "the crew folder's name"));
    }

    /** Lowercase, runs of other characters become one '-', no '-' at either end. */
    static String fromFolderName(String folder) {
        String name = folder.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
        return name.replaceAll("^-+|-+$", "");
    }
}

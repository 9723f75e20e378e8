package dev.crewship.cli.deploy;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Decides which paths of a crew folder stay out of the upload: the {@code [build] exclude} patterns
 * of crewship.toml, then every {@code .gitignore} and {@code .crewshipignore} (each relative to its
 * folder; the last matching pattern wins, so a deeper file can re-include with {@code !}). Some paths
 * are never uploaded whatever the patterns say: virtualenvs, git metadata, bytecode caches and local
 * artifacts are machine-specific or large, and the server builds its own environment.
 */
final class IgnoreRules {
    /** Names never uploaded, at any depth. */
    static final Set<String> ALWAYS_EXCLUDED = Set.of(".venv", ".git", "__pycache__");
    /** Folders never uploaded, at any depth (a crew writes its artifacts there when run locally). */
    static final Set<String> ALWAYS_EXCLUDED_FOLDERS = Set.of("artifacts");
    /** Files read for patterns in every folder. */
    static final List<String> IGNORE_FILES = List.of(".gitignore", ".crewshipignore");

    private final List<IgnorePattern> patterns = new ArrayList<>();

    /** Adds the lines of one pattern source, relative to {@code base} ("" for the crew root). */
    void add(List<String> lines, String base) {
        for (String line : lines) {
            IgnorePattern.parse(line, base).ifPresent(patterns::add);
        }
    }

    /**
     * Whether {@code path} (relative to the crew root) stays out. Called top-down: once a folder is
     * out, nothing below it is looked at, as in git.
     */
    boolean excludes(String path, boolean directory) {
        String name = path.substring(path.lastIndexOf('/') + 1);
        if (ALWAYS_EXCLUDED.contains(name) || (directory && ALWAYS_EXCLUDED_FOLDERS.contains(name))) {
            return true;
        }
        boolean excluded = false;
        for (IgnorePattern pattern : patterns) {
            if (pattern.matches(path, directory)) {
                excluded = !pattern.negated();
            }
        }
        return excluded;
    }
}

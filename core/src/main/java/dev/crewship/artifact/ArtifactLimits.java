package dev.crewship.artifact;

/**
 * How much a run may leave in its artifacts folder. Files beyond a limit are not stored; the run
 * gets a {@code log} event naming each one (see docs/api.md, "Artifacts").
 *
 * @param maxFileBytes  largest single artifact ({@code --max-artifact-bytes})
 * @param maxRunBytes   all artifacts of one run together ({@code --max-run-artifact-bytes})
 * @param maxFiles      number of artifacts of one run
 */
public record ArtifactLimits(long maxFileBytes, long maxRunBytes, int maxFiles) {
    public static final long DEFAULT_MAX_FILE_BYTES = 100L * 1024 * 1024;
    public static final long DEFAULT_MAX_RUN_BYTES = 1024L * 1024 * 1024;
    public static final int DEFAULT_MAX_FILES = 10_000;

    /** Longest artifact name (its relative path) in UTF-8 bytes. */
    public static final int MAX_NAME_BYTES = 1024;

    public ArtifactLimits {
        if (maxFileBytes < 0 || maxRunBytes < 0 || maxFiles < 0) {
            throw new IllegalArgumentException("artifact limits must not be negative");
        }
    }

    public static ArtifactLimits defaults() {
        return new ArtifactLimits(DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_RUN_BYTES, DEFAULT_MAX_FILES);
    }
}

package dev.crewship.deployment;

import java.nio.file.Path;

/**
 * Builds (or reuses) the Python environment a deployment runs in. Environments are keyed by a
 * hash of what goes into them (Python version, the dependency list, the runtime's version), so
 * deployments with identical dependencies share one environment and a redeploy of changed code
 * only is instant.
 */
public interface EnvironmentBuilder {
    /**
     * Returns the environment for the source in {@code sourceDir}, building it when absent; build
     * output is passed to {@code log} line by line as it happens. Throws {@link BuildFailedException}
     * with a one-line reason when dependencies cannot be installed.
     */
    BuiltEnvironment build(Path sourceDir, DeploymentConfig config, BuildLog log) throws BuildFailedException, InterruptedException;

    /** The folder of an environment built earlier. */
    Path environmentDir(String environmentKey);

    record BuiltEnvironment(String key, Path dir, boolean reused) {
    }

    @FunctionalInterface
    interface BuildLog {
        void line(String text);
    }

    final class BuildFailedException extends Exception {
        public BuildFailedException(String reason) {
            super(reason);
        }
    }
}

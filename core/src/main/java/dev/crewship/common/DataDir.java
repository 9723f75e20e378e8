package dev.crewship.common;

import java.nio.file.Path;

/**
 * The layout of a server's data directory ({@code --data-dir}). Everything the server keeps lives
 * here; nothing in it is ever mounted into a sandbox except a deployment's source, its environment
 * and a run's own artifacts folder.
 */
public record DataDir(Path root) {
    public DataDir {
        root = root.toAbsolutePath().normalize();
    }

    /** SQLite database file (the default store). */
    public Path database() {
        return root.resolve("crewship.db");
    }

    /** The first admin key, mode 600, written once on first start. */
    public Path adminKeyFile() {
        return root.resolve("admin-key");
    }

    /** AES key encrypting environment variables at rest, mode 600. */
    public Path secretKeyFile() {
        return root.resolve("secret.key");
    }

    /** Extracted, read-only source of one deployment (mounted at {@code /app}). */
    public Path deploymentSource(String deploymentId) {
        return root.resolve("deployments").resolve(deploymentId).resolve("source");
    }

    /**
     * Where uploaded bundles are extracted and checked before they become a deployment's source
     * (same filesystem, so the final move is atomic); leftovers are removed on start.
     */
    public Path deploymentStaging() {
        return root.resolve("deployments").resolve(".staging");
    }

    /** Virtualenvs, one per distinct dependency set, named by their key. */
    public Path environments() {
        return root.resolve("environments");
    }

    /** Content-addressed artifact blobs. */
    public Path blobs() {
        return root.resolve("blobs");
    }

    /** Scratch folder of one executing run (its artifacts folder lives inside); deleted after collection. */
    public Path runScratch(String runId) {
        return root.resolve("runs").resolve(runId);
    }

    /** The Python runtime package, extracted from the distribution on start (mounted at {@code /opt/crewship}). */
    public Path runtime() {
        return root.resolve("runtime");
    }
}

package dev.crewship.executor.process;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Configuration of a {@link ProcessExecutor}.
 *
 * @param runtimeDir  host folder that contains the {@code crewship_runtime} package; mounted read-only
 *                    at {@code /opt/crewship} (the sandbox's {@code PYTHONPATH})
 * @param sandbox     {@link SandboxMode#BUBBLEWRAP} unless a developer explicitly asked for no isolation
 * @param firstRunUid first host uid of the pool that runs get their own uid from (used when the
 *                    server runs as root); nothing else on the host may use the pool's uids,
 *                    not even another executor
 * @param runUidCount size of that pool: the most runs that can execute at once on this server;
 *                    a run waits for a free uid beyond that
 * @param warmStarts  limits of the warm parents (sandboxed mode only)
 */
public record ProcessExecutorConfig(Path runtimeDir, SandboxMode sandbox, int firstRunUid, int runUidCount, WarmStarts warmStarts) {

    /** Far above the uids Debian hands out (< 60000) and the usual subuid ranges (100000-165535). */
    public static final int DEFAULT_FIRST_RUN_UID = 200_000;
    public static final int DEFAULT_RUN_UID_COUNT = 1_000;

    public ProcessExecutorConfig {
        Objects.requireNonNull(runtimeDir, "runtimeDir");
        Objects.requireNonNull(sandbox, "sandbox");
        Objects.requireNonNull(warmStarts, "warmStarts");
        runtimeDir = runtimeDir.toAbsolutePath().normalize();
        if (!Files.isDirectory(runtimeDir.resolve("crewship_runtime"))) {
            throw new IllegalArgumentException("runtime folder " + runtimeDir + " does not contain the crewship_runtime package");
        }
        if (firstRunUid < 1_000 || runUidCount < 1 || (long) firstRunUid + runUidCount > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("run uid pool " + firstRunUid + "+" + runUidCount
                    + " is invalid: it must start at 1000 or above and hold at least one uid");
        }
    }

    public ProcessExecutorConfig(Path runtimeDir, SandboxMode sandbox, int firstRunUid, int runUidCount) {
        this(runtimeDir, sandbox, firstRunUid, runUidCount, WarmStarts.defaults());
    }

    /** Bubblewrap sandboxes with the default uid pool and warm starts: what a server uses. */
    public static ProcessExecutorConfig bubblewrap(Path runtimeDir) {
        return new ProcessExecutorConfig(runtimeDir, SandboxMode.BUBBLEWRAP, DEFAULT_FIRST_RUN_UID, DEFAULT_RUN_UID_COUNT);
    }

    public ProcessExecutorConfig withWarmStarts(WarmStarts warmStarts) {
        return new ProcessExecutorConfig(runtimeDir, sandbox, firstRunUid, runUidCount, warmStarts);
    }

    /** No isolation at all: only for development on a machine without bubblewrap. */
    public static ProcessExecutorConfig unsandboxed(Path runtimeDir) {
        return new ProcessExecutorConfig(runtimeDir, SandboxMode.UNSANDBOXED, DEFAULT_FIRST_RUN_UID, DEFAULT_RUN_UID_COUNT, WarmStarts.off());
    }
}

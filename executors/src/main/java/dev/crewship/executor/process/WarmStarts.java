package dev.crewship.executor.process;

import java.time.Duration;
import java.util.Objects;

/**
 * Limits of the warm parents of a {@link ProcessExecutor} (docs/runtime-protocol.md, "Warm starts").
 *
 * @param enabled           false: every run starts cold
 * @param maxParents        warm parents alive at once (each holds one host uid of the run pool)
 * @param maxResidentBytes  resident memory all warm parents may use together; idle ones are stopped above it
 * @param idleTimeout       a parent without runs for this long is stopped
 */
public record WarmStarts(boolean enabled, int maxParents, long maxResidentBytes, Duration idleTimeout) {
    public static final int DEFAULT_MAX_PARENTS = 8;
    public static final long DEFAULT_MAX_RESIDENT_BYTES = 4L * 1024 * 1024 * 1024;
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(10);

    public WarmStarts {
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        if (maxParents < 1 || maxResidentBytes < 1 || idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("warm start limits must be positive");
        }
    }

    public static WarmStarts defaults() {
        return new WarmStarts(true, DEFAULT_MAX_PARENTS, DEFAULT_MAX_RESIDENT_BYTES, DEFAULT_IDLE_TIMEOUT);
    }

    public static WarmStarts off() {
        return new WarmStarts(false, DEFAULT_MAX_PARENTS, DEFAULT_MAX_RESIDENT_BYTES, DEFAULT_IDLE_TIMEOUT);
    }
}

package dev.crewship.deployment;

import java.time.Duration;
import java.util.List;

/**
 * What {@code crewship.toml} says about a deployment (see docs/crewship-toml.md). The
 * {@code [deployment]} and {@code [build]} tables keep the published Crewship shape; the
 * {@code [runtime]} table holds the self-hosted additions: limits and network access.
 */
public record DeploymentConfig(
        String framework,
        String entrypoint,
        String python,
        List<String> buildExclude,
        Duration timeout,
        long memoryMb,
        int maxProcesses,
        Duration cpuTime,
        boolean network) {

    public static final Duration DEFAULT_TIMEOUT = Duration.ofHours(1);
    public static final long DEFAULT_MEMORY_MB = 4096;
    public static final int DEFAULT_MAX_PROCESSES = 256;
    public static final Duration DEFAULT_CPU_TIME = Duration.ofHours(1);

    public DeploymentConfig {
        buildExclude = List.copyOf(buildExclude);
    }
}

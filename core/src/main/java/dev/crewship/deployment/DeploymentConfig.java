package dev.crewship.deployment;

import java.time.Duration;
import java.util.List;

/**
 * What {@code crewship.toml} says about a deployment (see docs/crewship-toml.md). The
 * {@code [deployment]} and {@code [build]} tables keep the published Crewship shape; the
 * {@code [runtime]} table holds the self-hosted additions: limits, network access and whether the
 * LLM's streamed tokens become {@code llm.token} events ({@code llmTokens}).
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
        boolean network,
        boolean llmTokens) {

    public static final Duration DEFAULT_TIMEOUT = Duration.ofHours(1);
    public static final long DEFAULT_MEMORY_MB = 4096;
    public static final int DEFAULT_MAX_PROCESSES = 256;
    public static final Duration DEFAULT_CPU_TIME = Duration.ofHours(1);

    public DeploymentConfig {
        buildExclude = List.copyOf(buildExclude);
    }

    /** A configuration without {@code llm.token} events, the default. */
    public DeploymentConfig(String framework, String entrypoint, String python, List<String> buildExclude, Duration timeout,
            long memoryMb, int maxProcesses, Duration cpuTime, boolean network) {
        this(framework, entrypoint, python, buildExclude, timeout, memoryMb, maxProcesses, cpuTime, network, false);
    }
}

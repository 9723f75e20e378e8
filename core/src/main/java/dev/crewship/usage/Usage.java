package dev.crewship.usage;

import dev.crewship.run.RunStatus;
import java.util.Map;

/**
 * A project's usage: how many runs are in each status, the summed wall time of finished runs, and the
 * LLM tokens its runs reported ({@code llm.completed} events).
 */
public record Usage(Map<RunStatus, Long> runsByStatus, double runSeconds, TokenUsage tokens) {
    public Usage {
        runsByStatus = Map.copyOf(runsByStatus);
    }

    public long totalRuns() {
        return runsByStatus.values().stream().mapToLong(Long::longValue).sum();
    }
}

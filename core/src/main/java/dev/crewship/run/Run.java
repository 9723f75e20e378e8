package dev.crewship.run;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;

/**
 * One execution of a deployment. {@code threadId} is null for a stateless run. {@code owner} is the
 * server node executing it (set when it is claimed), used by crash recovery.
 */
public record Run(
        String id,
        String projectId,
        String deploymentId,
        String threadId,
        RunStatus status,
        JsonNode input,
        JsonNode output,
        RunError error,
        String idempotencyKey,
        String owner,
        Instant createdAt,
        Instant startedAt,
        Instant finishedAt) {

    /** Wall time from start to finish; null until both are known. */
    public Duration duration() {
        return startedAt == null || finishedAt == null ? null : Duration.between(startedAt, finishedAt);
    }
}

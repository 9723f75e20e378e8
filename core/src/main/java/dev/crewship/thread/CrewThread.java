package dev.crewship.thread;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;

/**
 * A thread (the API's {@code thr_…}): a persistent conversation context scoped to a deployment, in
 * which the crew runs many times. Named {@code CrewThread} in code only to stay clear of
 * {@link java.lang.Thread}.
 *
 * @param values       the state each run receives, a JSON object
 * @param metadata     the caller's labels, a flat JSON object of strings
 * @param activeRunId  the pending or running run holding the thread; null unless {@code busy}
 * @param checkpointId the newest checkpoint (where {@code values} come from); null before the first
 */
public record CrewThread(
        String id,
        String projectId,
        String deploymentId,
        ThreadStatus status,
        ObjectNode values,
        ObjectNode metadata,
        String activeRunId,
        String checkpointId,
        Instant createdAt,
        Instant updatedAt) {
}

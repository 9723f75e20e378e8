package dev.crewship.thread;

import java.util.Map;

/** Filters for listing threads; null fields do not filter, every metadata entry must match exactly. */
public record ThreadQuery(String projectId, String deploymentId, ThreadStatus status, Map<String, String> metadata) {
    public ThreadQuery {
        metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
    }
}

package dev.crewship.run;

/** Filters for listing runs; null fields do not filter. */
public record RunQuery(String projectId, String deploymentId, String threadId, RunStatus status) {
}

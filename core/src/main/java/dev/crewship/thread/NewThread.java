package dev.crewship.thread;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A request to create a thread: of a deployment, or of a project's current deployment (exactly one
 * of {@code deploymentId} and {@code project}). {@code values} and {@code metadata} null mean {@code {}}.
 */
public record NewThread(String deploymentId, String project, JsonNode values, JsonNode metadata) {
}

package dev.crewship.run;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A request to start a stateless run: of a deployment, or of a project's current deployment
 * (exactly one of {@code deploymentId} and {@code project}). {@code input} null means {@code {}}.
 */
public record NewRun(String deploymentId, String project, JsonNode input) {
}

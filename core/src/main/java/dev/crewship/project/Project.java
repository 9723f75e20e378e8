package dev.crewship.project;

import java.time.Instant;

/** A container for a crew's deployments and environment variables. {@code name} is unique. */
public record Project(String id, String name, String currentDeploymentId, Instant createdAt) {
}

package dev.crewship.deployment;

import java.time.Instant;

/**
 * An immutable snapshot of a crew: its source (by sha256 of the uploaded bundle), its parsed
 * configuration and the Python environment built for it ({@code environmentKey}, shared by
 * deployments with identical dependencies). Only {@code status}, {@code environmentKey},
 * {@code error} and {@code readyAt} change, once, when the build ends.
 */
public record Deployment(
        String id,
        String projectId,
        DeploymentStatus status,
        DeploymentConfig config,
        String sourceSha256,
        String environmentKey,
        String error,
        Instant createdAt,
        Instant readyAt) {
}

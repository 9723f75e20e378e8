package dev.crewship.artifact;

import java.time.Instant;

/** A file a run wrote under {@code /app/artifacts/}; {@code name} is its relative path there ({@code charts/q1.png}). */
public record Artifact(String runId, String name, long size, String contentType, String sha256, Instant createdAt) {
}

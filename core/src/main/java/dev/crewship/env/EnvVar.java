package dev.crewship.env;

import java.time.Instant;

/** A project environment variable as stored: the value is encrypted (see {@code SecretBox}). */
public record EnvVar(String projectId, String name, byte[] encryptedValue, Instant updatedAt) {
}

package dev.crewship.auth;

import java.time.Instant;

/**
 * An API key as stored: only the SHA-256 of the secret is kept (keys are 256-bit random, so a
 * fast hash is enough; there is nothing to brute-force). {@code projectId} null means an admin key.
 * {@code prefix} is the first characters of the secret, shown in listings to tell keys apart.
 */
public record ApiKey(String id, String projectId, String name, String secretHash, String prefix, Instant createdAt, Instant revokedAt) {
    public boolean isAdmin() {
        return projectId == null;
    }

    public boolean isRevoked() {
        return revokedAt != null;
    }
}

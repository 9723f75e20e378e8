package dev.crewship.auth;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

public interface ApiKeyStore {
    ApiKey create(ApiKey key);

    Optional<ApiKey> findBySecretHash(String secretHash);

    Optional<ApiKey> findById(String id);

    /** Keys of one project, or every key when {@code projectId} is null; newest first. */
    List<ApiKey> list(String projectId);

    /** Returns false when the key did not exist or was already revoked. */
    boolean revoke(String id, Instant at);

    /** True when at least one admin key exists (the first start creates one). */
    boolean hasAdminKey();
}

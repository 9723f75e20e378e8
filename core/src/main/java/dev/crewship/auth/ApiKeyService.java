package dev.crewship.auth;

import dev.crewship.common.Ids;
import dev.crewship.error.CrewshipException;
import dev.crewship.project.Project;
import dev.crewship.project.ProjectStore;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * API keys: created with a random secret that is shown once, stored only as its SHA-256, looked up
 * by that hash on every request. Nothing is cached, so a revoked key stops working at once.
 */
public final class ApiKeyService {
    /** Every secret starts with this, so leaked keys are easy to recognise (and to scan for). */
    public static final String SECRET_PREFIX = "csk_";
    /** 43 base62 characters carry 256 bits of randomness. */
    public static final int SECRET_RANDOM_LENGTH = 43;
    /** How much of the secret listings show to tell keys apart: {@code csk_} plus four characters. */
    public static final int DISPLAY_PREFIX_LENGTH = SECRET_PREFIX.length() + 4;
    public static final int MAX_NAME_LENGTH = 100;

    private final ApiKeyStore keys;
    private final ProjectStore projects;
    private final Clock clock;

    public ApiKeyService(ApiKeyStore keys, ProjectStore projects, Clock clock) {
        this.keys = keys;
        this.projects = projects;
        this.clock = clock;
    }

    /** A key just created, with the only copy of its secret. */
    public record CreatedKey(ApiKey key, String secret) {
    }

    /**
     * Creates a key for {@code projectName}, or an admin key when it is null. Admin keys may create
     * any key; a project key only keys of its own project.
     */
    public CreatedKey create(Principal principal, String name, String projectName) {
        String validName = validName(name);
        if (projectName == null) {
            principal.requireAdmin();
            return insert(validName, null);
        }
        Project project = projects.findByName(projectName)
                .filter(p -> principal.canAccess(p.id()))
                .orElseThrow(() -> CrewshipException.notFound("project", projectName));
        return insert(validName, project.id());
    }

    /** The admin key a fresh server creates on its first start; null when one exists already. */
    public Optional<CreatedKey> createFirstAdminKey() {
        if (keys.hasAdminKey()) {
            return Optional.empty();
        }
        return Optional.of(insert("admin", null));
    }

    /** The caller behind a secret, or empty when the secret is unknown or its key is revoked. */
    public Optional<Principal> authenticate(String secret) {
        if (secret == null || !secret.startsWith(SECRET_PREFIX)) {
            return Optional.empty();
        }
        return keys.findBySecretHash(hash(secret))
                .filter(key -> !key.isRevoked())
                .map(key -> new Principal(key.id(), key.projectId()));
    }

    /** Keys the caller may see, newest first: all of them for an admin, its project's for a project key. Revoked keys are left out. */
    public List<ApiKey> list(Principal principal) {
        return keys.list(principal.projectId()).stream().filter(key -> !key.isRevoked()).toList();
    }

    /**
     * Revokes a key at once. A key the caller may not see (a project key sees its project's keys
     * only, never admin keys), or one already revoked, answers 404.
     */
    public void revoke(Principal principal, String keyId) {
        ApiKey key = keys.findById(keyId)
                .filter(k -> !k.isRevoked() && principal.canAccess(k.projectId()))
                .orElseThrow(() -> CrewshipException.notFound("API key", keyId));
        if (!keys.revoke(key.id(), clock.instant())) {
            throw CrewshipException.notFound("API key", keyId);
        }
    }

    /** SHA-256 of the secret as lowercase hex: what the store keeps instead of the secret. */
    public static String hash(String secret) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private CreatedKey insert(String name, String projectId) {
        String secret = SECRET_PREFIX + Ids.secret(SECRET_RANDOM_LENGTH);
        ApiKey key = keys.create(new ApiKey(Ids.next(Ids.API_KEY), projectId, name, hash(secret),
                secret.substring(0, DISPLAY_PREFIX_LENGTH), clock.instant(), null));
        return new CreatedKey(key, secret);
    }

    private static String validName(String name) {
        if (name == null || name.isBlank()) {
            throw CrewshipException.invalid("name is required: a label that tells the key apart, e.g. \"ci\"");
        }
        // Characters as the API documents them (and JSON Schema's maxLength counts them): code points, so a
        // name of emoji is not refused at half the length.
        if (name.codePointCount(0, name.length()) > MAX_NAME_LENGTH || name.chars().anyMatch(Character::isISOControl)) {
            throw CrewshipException.invalid(
                    "name must be at most " + MAX_NAME_LENGTH + " characters without control characters");
        }
        return name;
    }
}

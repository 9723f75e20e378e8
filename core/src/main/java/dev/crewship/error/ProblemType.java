package dev.crewship.error;

/**
 * The stable error kinds the API reports as {@code application/problem+json}. The slug is part of
 * the public contract ({@code https://crewship.dev/problems/<slug>}); never rename one.
 */
public enum ProblemType {
    INVALID_REQUEST("invalid-request", "Invalid request", 400),
    UNAUTHORIZED("unauthorized", "Missing or invalid API key", 401),
    FORBIDDEN("forbidden", "Not allowed", 403),
    NOT_FOUND("not-found", "Not found", 404),
    METHOD_NOT_ALLOWED("method-not-allowed", "Method not allowed", 405),
    CONFLICT("conflict", "Conflict", 409),
    PAYLOAD_TOO_LARGE("payload-too-large", "Payload too large", 413),
    UNSUPPORTED_MEDIA_TYPE("unsupported-media-type", "Unsupported media type", 415),
    INVALID_BUNDLE("invalid-bundle", "Invalid deployment bundle", 422),
    DEPLOYMENT_NOT_READY("deployment-not-ready", "Deployment is not ready", 409),
    UNAVAILABLE("unavailable", "Service unavailable", 503),
    INTERNAL("internal", "Internal error", 500);

    private final String slug;
    private final String title;
    private final int status;

    ProblemType(String slug, String title, int status) {
        this.slug = slug;
        this.title = title;
        this.status = status;
    }

    public String slug() {
        return slug;
    }

    public String title() {
        return title;
    }

    /** The HTTP status this kind maps to; kept here so every adapter maps errors the same way. */
    public int status() {
        return status;
    }

    public String uri() {
        return "https://crewship.dev/problems/" + slug;
    }
}

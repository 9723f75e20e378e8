package dev.crewship.server.http;

import dev.crewship.auth.ApiKeyService;
import dev.crewship.auth.Principal;
import dev.crewship.error.CrewshipException;
import dev.crewship.error.ProblemType;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.Header;

/**
 * The before-handler of every {@code /v1} route: resolves {@code Authorization: Bearer <key>} to the
 * calling {@link Principal}, or answers 401. Keys are looked up on every request, so a revoked key
 * is refused at once. Handlers get the caller with {@link #principal(Context)}.
 */
public final class Authentication implements Handler {
    /** Routes under this path need a key. */
    public static final String PROTECTED_PATHS = "/v1/*";

    private static final String ATTRIBUTE = "crewship.principal";
    private static final String BEARER = "bearer ";

    private final ApiKeyService keys;

    public Authentication(ApiKeyService keys) {
        this.keys = keys;
    }

    @Override
    public void handle(Context ctx) {
        String header = ctx.header(Header.AUTHORIZATION);
        if (header == null || header.isBlank()) {
            throw new CrewshipException(ProblemType.UNAUTHORIZED, "this call needs an API key: send the header Authorization: Bearer <key>");
        }
        if (header.length() <= BEARER.length() || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            throw new CrewshipException(ProblemType.UNAUTHORIZED, "the Authorization header must be \"Bearer <key>\"");
        }
        Principal principal = keys.authenticate(header.substring(BEARER.length()).strip())
                .orElseThrow(() -> new CrewshipException(ProblemType.UNAUTHORIZED, "the API key is unknown or was revoked"));
        ctx.attribute(ATTRIBUTE, principal);
    }

    /** The caller of a {@code /v1} request, as resolved by this handler. */
    public static Principal principal(Context ctx) {
        Principal principal = ctx.attribute(ATTRIBUTE);
        if (principal == null) {
            throw new IllegalStateException("no principal for " + ctx.path() + ": only routes under " + PROTECTED_PATHS + " are authenticated");
        }
        return principal;
    }
}

package dev.crewship.server.http;

import dev.crewship.common.Ids;
import io.javalin.http.Context;
import io.javalin.http.Handler;

/**
 * Gives every request an id, sent back as {@code X-Request-Id}, so that an {@code internal} error a
 * user reports can be found in the server log.
 */
public final class RequestIds implements Handler {
    public static final String HEADER = "X-Request-Id";
    private static final String ATTRIBUTE = "crewship.request-id";

    @Override
    public void handle(Context ctx) {
        String id = "req_" + Ids.secret(16);
        ctx.attribute(ATTRIBUTE, id);
        ctx.header(HEADER, id);
    }

    /** The request's id ("unknown" if it failed before ids were assigned). */
    public static String of(Context ctx) {
        String id = ctx.attribute(ATTRIBUTE);
        return id == null ? "unknown" : id;
    }
}

package dev.crewship.server.http;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.crewship.error.CrewshipException;
import dev.crewship.error.ProblemType;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.Header;
import io.javalin.http.HttpResponseException;
import io.javalin.http.MethodNotAllowedResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every error answer as {@code application/problem+json} (RFC 9457): {@code type}, {@code title},
 * {@code status}, {@code detail}. Three sources: a {@link CrewshipException} (the services' errors,
 * with their {@link ProblemType}); Javalin's own responses (unknown route, wrong method, body too
 * large); anything unexpected, which is logged with its stack trace and the request id and answered
 * as {@code internal} naming only that id. Java class names and stack traces never reach a client.
 */
public final class Problems {
    public static final String CONTENT_TYPE = "application/problem+json";

    private static final Logger log = LoggerFactory.getLogger(Problems.class);

    private Problems() {
    }

    public static void register(RoutesConfig routes) {
        routes.exception(CrewshipException.class, (e, ctx) -> respond(ctx, e.type(), e.getMessage(), e.extensions()));
        routes.exception(HttpResponseException.class, Problems::javalin);
        routes.exception(Exception.class, Problems::unexpected);
    }

    /** Writes a problem answer; the request's status becomes the type's status. */
    public static void respond(Context ctx, ProblemType type, String detail) {
        respond(ctx, type, detail, Map.of());
    }

    /** A problem answer with extension members (sorted by name, after the standard ones). */
    public static void respond(Context ctx, ProblemType type, String detail, Map<String, String> extensions) {
        if (ctx.res().isCommitted()) {
            // A stream was already under way (SSE, a download): the status line is sent, nothing more can be said.
            log.debug("request {} failed after its response began: {}", RequestIds.of(ctx), detail);
            return;
        }
        ObjectNode body = JsonNodeFactory.instance.objectNode()
                .put("type", type.uri())
                .put("title", type.title())
                .put("status", type.status())
                .put("detail", detail);
        new TreeMap<>(extensions).forEach(body::put);
        if (type == ProblemType.UNAUTHORIZED) {
            ctx.header(Header.WWW_AUTHENTICATE, "Bearer realm=\"crewship\"");
        }
        // Bytes, not a String: Jetty would encode text of this content type as ISO-8859-1.
        ctx.status(type.status()).contentType(CONTENT_TYPE).result(body.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static void javalin(HttpResponseException e, Context ctx) {
        ProblemType type = switch (e.getStatus()) {
            case 401 -> ProblemType.UNAUTHORIZED;
            case 403 -> ProblemType.FORBIDDEN;
            case 404 -> ProblemType.NOT_FOUND;
            case 405 -> ProblemType.METHOD_NOT_ALLOWED;
            case 409 -> ProblemType.CONFLICT;
            case 413 -> ProblemType.PAYLOAD_TOO_LARGE;
            case 415 -> ProblemType.UNSUPPORTED_MEDIA_TYPE;
            case 503 -> ProblemType.UNAVAILABLE;
            default -> e.getStatus() >= 500 ? ProblemType.INTERNAL : ProblemType.INVALID_REQUEST;
        };
        String detail = switch (type) {
            case NOT_FOUND -> "there is no " + ctx.method() + " " + ctx.path() + "; see GET /openapi.json for the API";
            case METHOD_NOT_ALLOWED -> ctx.path() + " does not support " + ctx.method();
            case PAYLOAD_TOO_LARGE -> "the request body is too large";
            default -> e.getMessage();
        };
        if (e instanceof MethodNotAllowedResponse && e.getDetails().get("availableMethods") != null) {
            ctx.header(Header.ALLOW, e.getDetails().get("availableMethods"));
        }
        respond(ctx, type, detail);
    }

    private static void unexpected(Exception e, Context ctx) {
        String requestId = RequestIds.of(ctx);
        log.error("request {} ({} {}) failed", requestId, ctx.method(), ctx.path(), e);
        respond(ctx, ProblemType.INTERNAL, "the server failed to handle this request; it is logged with request id " + requestId);
    }
}

package dev.crewship.server.http;

import io.javalin.http.Context;
import io.javalin.http.RequestLogger;
import io.javalin.router.Endpoint;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;

/**
 * Times every HTTP request as {@code http.server.requests} (Prometheus:
 * {@code http_server_requests_seconds}), tagged by method, route template (never the raw path, so
 * ids do not create a series each), status and outcome.
 */
public final class HttpMetrics implements RequestLogger {
    private final MeterRegistry registry;

    public HttpMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void handle(Context ctx, Float executionTimeMs) {
        Endpoint endpoint = ctx.endpoints().lastHttpEndpoint();
        int status = ctx.statusCode();
        Timer.builder("http.server.requests")
                .description("HTTP requests handled by the API")
                .tag("method", ctx.method().name())
                .tag("uri", endpoint == null || endpoint.path.isEmpty() ? "UNMATCHED" : endpoint.path)
                .tag("status", Integer.toString(status))
                .tag("outcome", outcome(status))
                .register(registry)
                .record((long) (executionTimeMs * 1_000_000L), TimeUnit.NANOSECONDS);
    }

    private static String outcome(int status) {
        if (status >= 500) {
            return "SERVER_ERROR";
        }
        if (status >= 400) {
            return "CLIENT_ERROR";
        }
        if (status >= 300) {
            return "REDIRECTION";
        }
        return "SUCCESS";
    }
}

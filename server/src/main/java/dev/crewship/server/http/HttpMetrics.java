package dev.crewship.server.http;

import io.javalin.http.Context;
import io.javalin.http.RequestLogger;
import io.javalin.router.Endpoint;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Times every HTTP request as {@code http.server.requests} (Prometheus:
 * {@code http_server_requests_seconds}), tagged by method, route template (never the raw path, so
 * ids do not create a series each), status and outcome.
 */
public final class HttpMetrics implements RequestLogger {
    private final MeterRegistry registry;
    /**
     * The timer of each series, found without building its tags again: this runs on every request. The
     * keys are bounded (methods × route templates × status codes the server sends).
     */
    private final Map<Series, Timer> timers = new ConcurrentHashMap<>();

    public HttpMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    private record Series(String method, String uri, int status) {
    }

    @Override
    public void handle(Context ctx, Float executionTimeMs) {
        Endpoint endpoint = ctx.endpoints().lastHttpEndpoint();
        Series series = new Series(ctx.method().name(),
                endpoint == null || endpoint.path.isEmpty() ? "UNMATCHED" : endpoint.path, ctx.statusCode());
        timers.computeIfAbsent(series, this::register)
                .record((long) (executionTimeMs * 1_000_000L), TimeUnit.NANOSECONDS);
    }

    private Timer register(Series series) {
        return Timer.builder("http.server.requests")
                .description("HTTP requests handled by the API")
                .tag("method", series.method())
                .tag("uri", series.uri())
                .tag("status", Integer.toString(series.status()))
                .tag("outcome", outcome(series.status()))
                .register(registry);
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

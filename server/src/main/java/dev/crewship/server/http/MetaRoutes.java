package dev.crewship.server.http;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.RoutesConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.function.Supplier;

/**
 * The routes that need no key: {@code GET /} (what this server is), {@code GET /health},
 * {@code GET /metrics} (Prometheus) and {@code GET /openapi.json} (the API as OpenAPI 3.1).
 */
public final class MetaRoutes implements Routes {
    /** The OpenAPI document, a resource of this module kept in step with docs/api.md. */
    public static final String OPENAPI_RESOURCE = "/openapi.json";
    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final String version;
    private final Supplier<String> executor;
    private final PrometheusMeterRegistry metrics;
    private final byte[] openApi;

    /** @param executor describes the executor runs use, e.g. {@code process (bubblewrap 0.8.0)} */
    public MetaRoutes(String version, Supplier<String> executor, PrometheusMeterRegistry metrics) {
        this.version = version;
        this.executor = executor;
        this.metrics = metrics;
        this.openApi = openApiDocument();
    }

    @Override
    public void register(RoutesConfig routes) {
        routes.get("/", ctx -> ctx.json(about()));
        routes.get("/health", ctx -> ctx.json(JsonNodeFactory.instance.objectNode()
                .put("status", "ok")
                .put("executor", executor.get())));
        routes.get("/metrics", ctx -> ctx.contentType(PROMETHEUS_TEXT).result(metrics.scrape()));
        routes.get("/openapi.json", ctx -> ctx.contentType("application/json").result(openApi));
    }

    private ObjectNode about() {
        ObjectNode about = JsonNodeFactory.instance.objectNode()
                .put("name", "Crewship")
                .put("version", version)
                .put("description", "Deploys CrewAI crews and runs them on demand");
        about.putObject("links")
                .put("api", "/v1")
                .put("openapi", "/openapi.json")
                .put("health", "/health")
                .put("metrics", "/metrics");
        return about;
    }

    private static byte[] openApiDocument() {
        try (InputStream in = MetaRoutes.class.getResourceAsStream(OPENAPI_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the OpenAPI document " + OPENAPI_RESOURCE + " is missing from the server's resources");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + OPENAPI_RESOURCE, e);
        }
    }
}

package dev.crewship.server.http;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.crewship.auth.Principal;
import dev.crewship.deployment.Deployment;
import dev.crewship.deployment.DeploymentService;
import dev.crewship.error.CrewshipException;
import dev.crewship.error.ProblemType;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.Header;
import io.javalin.http.HttpStatus;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;

/**
 * Deployments: upload a crew folder (tar.gz), list and get them, read or follow a build log, and
 * roll a project back to an earlier deployment.
 */
public final class DeploymentRoutes implements Routes {
    /** Content types a bundle upload may declare. */
    static final Set<String> BUNDLE_TYPES = Set.of("application/gzip", "application/x-gzip", "application/x-tar+gzip");
    /** A followed build log sends a comment after this long without a line, so proxies keep the stream open. */
    static final Duration KEEP_ALIVE = Duration.ofSeconds(15);

    private final DeploymentService deployments;
    private final JsonBody body;
    private final long maxBundleBytes;

    public DeploymentRoutes(DeploymentService deployments, JsonBody body, long maxBundleBytes) {
        this.deployments = deployments;
        this.body = body;
        this.maxBundleBytes = maxBundleBytes;
    }

    record Rollback(String deploymentId) {
    }

    @Override
    public void register(RoutesConfig routes) {
        routes.post("/v1/projects/{name}/deployments", this::upload);
        routes.get("/v1/projects/{name}/deployments", ctx -> ctx.json(Paging.json(
                deployments.list(Authentication.principal(ctx), ctx.pathParam("name"), Paging.request(ctx)), DeploymentJson::of)));
        routes.get("/v1/deployments/{id}", ctx ->
                ctx.json(DeploymentJson.of(deployments.get(Authentication.principal(ctx), ctx.pathParam("id")))));
        routes.get("/v1/deployments/{id}/logs", this::logs);
        routes.post("/v1/projects/{name}/rollback", ctx -> {
            Rollback request = body.read(ctx, Rollback.class);
            ctx.json(ProjectJson.of(deployments.rollback(Authentication.principal(ctx), ctx.pathParam("name"), request.deploymentId())));
        });
    }

    private void upload(Context ctx) throws IOException {
        Principal principal = Authentication.principal(ctx);
        String contentType = ctx.contentType() == null ? "" : ctx.contentType().split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        if (!BUNDLE_TYPES.contains(contentType)) {
            throw new CrewshipException(ProblemType.UNSUPPORTED_MEDIA_TYPE,
                    "upload the crew folder as a tar.gz archive with Content-Type: application/gzip");
        }
        if (ctx.req().getContentLengthLong() > maxBundleBytes) {
            throw CrewshipException.tooLarge("the bundle is " + ctx.req().getContentLengthLong() + " bytes; at most "
                    + maxBundleBytes + " are accepted (leave build output, virtualenvs and data out with [build] exclude)");
        }
        try (var bundle = ctx.bodyInputStream()) {
            ctx.status(HttpStatus.ACCEPTED).json(DeploymentJson.of(deployments.upload(principal, ctx.pathParam("name"), bundle)));
        }
    }

    private void logs(Context ctx) throws InterruptedException {
        Principal principal = Authentication.principal(ctx);
        String id = ctx.pathParam("id");
        String accept = ctx.header(Header.ACCEPT);
        if (accept == null || !accept.contains("text/event-stream")) {
            ctx.contentType("text/plain; charset=utf-8").result(deployments.buildLog(principal, id));
            return;
        }
        deployments.get(principal, id); // 404 before the stream starts
        ctx.res().setContentType("text/event-stream");
        ctx.res().setCharacterEncoding("UTF-8");
        ctx.res().setHeader(Header.CACHE_CONTROL, "no-cache");
        ctx.res().setHeader(Header.X_ACCEL_BUFFERING, "no");
        try {
            OutputStream out = ctx.res().getOutputStream();
            out.flush();
            Deployment ended = deployments.followBuildLog(principal, id, new DeploymentService.BuildLogListener() {
                @Override
                public void line(String line) throws IOException {
                    send(out, "log", JsonNodeFactory.instance.objectNode().put("line", line));
                }

                @Override
                public void idle() throws IOException {
                    write(out, ": keep-alive\n\n");
                }
            }, KEEP_ALIVE);
            ObjectNode status = JsonNodeFactory.instance.objectNode()
                    .put("status", ended.status().wire())
                    .put("error", ended.error());
            send(out, "status", status);
        } catch (IOException e) {
            // The follower went away; nothing is left to answer.
        }
    }

    /** One event on one line each: the data is compact JSON, which escapes line breaks. */
    private static void send(OutputStream out, String event, ObjectNode data) throws IOException {
        write(out, "event: " + event + "\ndata: " + data + "\n\n");
    }

    private static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}

package dev.crewship.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.crewship.error.CrewshipException;
import dev.crewship.run.Run;
import dev.crewship.run.RunCreation;
import dev.crewship.run.RunService;
import dev.crewship.thread.CrewThread;
import dev.crewship.thread.MultitaskStrategy;
import dev.crewship.thread.NewThread;
import dev.crewship.thread.ThreadService;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code /v1/threads}: create, list, get, delete and fork threads; start and list runs inside a
 * thread; read its state, history and checkpoints (docs/api.md, "Threads"). A thread's runs are
 * ordinary runs: their events, artifacts and cancel are under {@code /v1/runs/{id}}.
 */
public final class ThreadRoutes implements Routes {
    /** {@code GET /v1/threads?metadata.user=alice} filters on the metadata key {@code user}. */
    static final String METADATA_FILTER_PREFIX = "metadata.";

    private final ThreadService threads;
    private final RunService runs;
    private final JsonBody body;

    public ThreadRoutes(ThreadService threads, RunService runs, JsonBody body) {
        this.threads = threads;
        this.runs = runs;
        this.body = body;
    }

    /** The body of {@code POST /v1/threads}. */
    record ThreadRequest(String deploymentId, String project, JsonNode values, JsonNode metadata) {
    }

    /** The body of {@code POST /v1/threads/{id}/runs}. */
    record ThreadRunRequest(JsonNode input, String multitaskStrategy) {
    }

    /** The body of {@code POST /v1/threads/{id}/fork}; the body itself is optional. */
    record ForkRequest(String checkpointId, String deploymentId, JsonNode metadata) {
    }

    @Override
    public void register(RoutesConfig routes) {
        routes.post("/v1/threads", ctx -> {
            ThreadRequest request = body.read(ctx, ThreadRequest.class);
            CrewThread created = threads.create(Authentication.principal(ctx),
                    new NewThread(request.deploymentId(), request.project(), request.values(), request.metadata()));
            ctx.status(HttpStatus.CREATED).json(json(created));
        });
        routes.get("/v1/threads", ctx -> ctx.json(Paging.json(threads.list(Authentication.principal(ctx), ctx.queryParam("project"),
                ctx.queryParam("deployment_id"), ctx.queryParam("status"), metadataFilter(ctx), Paging.request(ctx)), this::json)));
        routes.get("/v1/threads/{id}", ctx -> ctx.json(json(threads.get(Authentication.principal(ctx), ctx.pathParam("id")))));
        routes.delete("/v1/threads/{id}", ctx -> {
            threads.delete(Authentication.principal(ctx), ctx.pathParam("id"));
            ctx.status(HttpStatus.NO_CONTENT);
        });
        routes.post("/v1/threads/{id}/runs", ctx -> {
            ThreadRunRequest request = body.read(ctx, ThreadRunRequest.class);
            MultitaskStrategy strategy = MultitaskStrategy.parse(request.multitaskStrategy());
            RunCreation creation = threads.createRun(Authentication.principal(ctx), ctx.pathParam("id"), request.input(), strategy,
                    ctx.header(RunRoutes.IDEMPOTENCY_KEY));
            ctx.status(creation.created() ? HttpStatus.ACCEPTED : HttpStatus.OK).json(runJson(creation.run()));
        });
        routes.get("/v1/threads/{id}/runs", ctx ->
                ctx.json(Paging.json(threads.runs(Authentication.principal(ctx), ctx.pathParam("id"), Paging.request(ctx)), this::runJson)));
        routes.get("/v1/threads/{id}/state", ctx ->
                ctx.json(ThreadJson.state(threads.get(Authentication.principal(ctx), ctx.pathParam("id")))));
        routes.get("/v1/threads/{id}/history", ctx -> ctx.json(Paging.json(
                threads.history(Authentication.principal(ctx), ctx.pathParam("id"), Paging.request(ctx)), ThreadJson::checkpoint)));
        routes.get("/v1/threads/{id}/checkpoints/{checkpoint}", ctx -> ctx.json(ThreadJson.checkpoint(
                threads.checkpoint(Authentication.principal(ctx), ctx.pathParam("id"), ctx.pathParam("checkpoint")))));
        routes.post("/v1/threads/{id}/fork", ctx -> {
            ForkRequest request = hasBody(ctx) ? body.read(ctx, ForkRequest.class) : new ForkRequest(null, null, null);
            CrewThread fork = threads.fork(Authentication.principal(ctx), ctx.pathParam("id"), request.checkpointId(),
                    request.deploymentId(), request.metadata());
            ctx.status(HttpStatus.CREATED).json(json(fork));
        });
    }

    /** {@code metadata.<key>=<value>} query parameters; each key once. */
    private static Map<String, String> metadataFilter(Context ctx) {
        Map<String, String> filter = new TreeMap<>();
        for (Map.Entry<String, List<String>> param : ctx.queryParamMap().entrySet()) {
            if (!param.getKey().startsWith(METADATA_FILTER_PREFIX)) {
                continue;
            }
            String key = param.getKey().substring(METADATA_FILTER_PREFIX.length());
            if (param.getValue().size() != 1) {
                throw CrewshipException.invalid("filter on " + param.getKey() + " once, not " + param.getValue().size() + " times");
            }
            filter.put(key, param.getValue().get(0));
        }
        return filter;
    }

    /** A POST without a body (no Content-Type, nothing sent) takes the defaults. */
    private static boolean hasBody(Context ctx) {
        return ctx.contentType() != null || ctx.req().getContentLengthLong() > 0;
    }

    private ObjectNode json(CrewThread thread) {
        return ThreadJson.of(thread, runs.projectName(thread.projectId()));
    }

    private ObjectNode runJson(Run run) {
        return RunJson.of(run, runs.projectName(run.projectId()));
    }
}

package dev.crewship.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.crewship.artifact.Artifact;
import dev.crewship.artifact.RunArtifacts;
import dev.crewship.auth.Principal;
import dev.crewship.error.CrewshipException;
import dev.crewship.event.Event;
import dev.crewship.event.RunEventFeed;
import dev.crewship.event.RunEvents;
import dev.crewship.event.SseEvent;
import dev.crewship.run.NewRun;
import dev.crewship.run.Run;
import dev.crewship.run.RunCreation;
import dev.crewship.run.RunService;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.Header;
import io.javalin.http.HttpStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Optional;

/**
 * {@code /v1/runs}: start a run, list and get runs, cancel one, read or follow its events, list and
 * download its artifacts (docs/api.md, "Runs").
 */
public final class RunRoutes implements Routes {
    /** A followed event stream sends a comment after this long without an event, so proxies keep it open. */
    static final Duration KEEP_ALIVE = Duration.ofSeconds(15);
    /** A followed event stream writes at most this much of what is waiting before it flushes. */
    static final int MAX_WRITE_BYTES = 64 * 1024;
    /** The output buffer of a followed event stream, held for as long as the stream is open. */
    static final int STREAM_BUFFER_BYTES = 4 * 1024;
    static final String IDEMPOTENCY_KEY = "Idempotency-Key";
    static final String LAST_EVENT_ID = "Last-Event-ID";

    private final RunService runs;
    private final RunEvents events;
    private final RunArtifacts artifacts;
    private final JsonBody body;

    public RunRoutes(RunService runs, RunEvents events, RunArtifacts artifacts, JsonBody body) {
        this.runs = runs;
        this.events = events;
        this.artifacts = artifacts;
        this.body = body;
    }

    /** The body of {@code POST /v1/runs}. */
    record RunRequest(String deploymentId, String project, JsonNode input) {
    }

    @Override
    public void register(RoutesConfig routes) {
        routes.post("/v1/runs", this::create);
        routes.get("/v1/runs", ctx -> ctx.json(Paging.json(runs.list(Authentication.principal(ctx), ctx.queryParam("project"),
                ctx.queryParam("deployment_id"), ctx.queryParam("status"), Paging.request(ctx)), this::json)));
        routes.get("/v1/runs/{id}", ctx -> ctx.json(json(runs.get(Authentication.principal(ctx), ctx.pathParam("id")))));
        routes.post("/v1/runs/{id}/cancel", ctx -> ctx.json(json(runs.cancel(Authentication.principal(ctx), ctx.pathParam("id")))));
        routes.get("/v1/runs/{id}/events", this::events);
        routes.get("/v1/runs/{id}/artifacts", ctx ->
                ctx.json(Paging.json(artifacts.list(Authentication.principal(ctx), ctx.pathParam("id")), RunRoutes::artifactJson)));
        // <name> may hold slashes: artifacts keep their folders (charts/q1.png).
        routes.get("/v1/runs/{id}/artifacts/<name>", this::download);
    }

    private void create(Context ctx) {
        RunRequest request = body.read(ctx, RunRequest.class);
        JsonNode input = request.input() == null || request.input().isNull() ? null : request.input();
        RunCreation creation = runs.create(Authentication.principal(ctx),
                new NewRun(request.deploymentId(), request.project(), input), ctx.header(IDEMPOTENCY_KEY));
        ctx.status(creation.created() ? HttpStatus.ACCEPTED : HttpStatus.OK).json(json(creation.run()));
    }

    private void events(Context ctx) throws InterruptedException {
        Principal principal = Authentication.principal(ctx);
        String runId = ctx.pathParam("id");
        long after = afterSeq(ctx);
        String accept = ctx.header(Header.ACCEPT);
        if (accept == null || !accept.contains(EventStreamWriter.CONTENT_TYPE)) {
            int limit = limit(ctx);
            RunEvents.EventPage page = events.page(principal, runId, after, limit);
            ArrayNode data = JsonNodeFactory.instance.arrayNode();
            page.data().forEach(event -> data.add(eventJson(event)));
            ObjectNode list = JsonNodeFactory.instance.objectNode().put("object", "list");
            list.set("data", data);
            ctx.json(list.put("has_more", page.hasMore()));
            return;
        }
        try (RunEventFeed feed = events.follow(principal, runId, after)) {
            ctx.res().setContentType(EventStreamWriter.CONTENT_TYPE);
            ctx.res().setCharacterEncoding("UTF-8");
            ctx.res().setHeader(Header.CACHE_CONTROL, "no-cache");
            ctx.res().setHeader(Header.X_ACCEL_BUFFERING, "no");
            // Jetty keeps a response's output buffer (32 KiB of direct memory by default) for as long
            // as the response is open: for thousands of long-lived streams of small events that is
            // most of their memory. Writes beyond it go out in pieces of this size.
            ctx.res().setBufferSize(STREAM_BUFFER_BYTES);
            EventStreamWriter stream = new EventStreamWriter(ctx.res().getOutputStream());
            stream.flush();
            while (!feed.finished()) {
                Optional<SseEvent> next = feed.next(KEEP_ALIVE);
                if (next.isEmpty()) {
                    if (!feed.finished()) {
                        stream.comment("keep-alive");
                    }
                    continue;
                }
                // Everything already waiting goes out in one write and one flush: a subscriber that
                // fell behind (a busy server, a slow network) catches up in a few large writes
                // instead of one system call per event.
                int written = stream.event(next.get());
                while (written < MAX_WRITE_BYTES && (next = feed.next(Duration.ZERO)).isPresent()) {
                    written += stream.event(next.get());
                }
                stream.flush();
            }
        } catch (IOException e) {
            // The subscriber went away; nothing is left to answer.
        }
    }

    private void download(Context ctx) throws IOException {
        RunArtifacts.Download download = artifacts.open(Authentication.principal(ctx), ctx.pathParam("id"), ctx.pathParam("name"));
        Artifact artifact = download.artifact();
        try (InputStream content = download.content()) {
            ctx.status(HttpStatus.OK);
            ctx.res().setContentType(artifact.contentType());
            ctx.res().setContentLengthLong(artifact.size());
            ctx.res().setHeader(Header.ETAG, "\"" + artifact.sha256() + "\"");
            ctx.res().setHeader(Header.CONTENT_DISPOSITION, "attachment; filename=\"" + fileName(artifact.name()) + "\"");
            OutputStream out = ctx.res().getOutputStream();
            content.transferTo(out);
            out.flush();
        }
    }

    /** The last path segment, with characters that would break the quoted header value replaced. */
    static String fileName(String name) {
        String last = name.substring(name.lastIndexOf('/') + 1);
        StringBuilder safe = new StringBuilder(last.length());
        last.codePoints().forEach(c -> safe.appendCodePoint(c == '"' || c == '\\' || c < 0x20 || c > 0x7e ? '_' : c));
        return safe.toString();
    }

    /**
     * {@code Last-Event-ID} (header) wins over {@code ?after=}; both are sequence numbers, 0 means from the
     * start. Both are checked: an invalid {@code ?after=} is a bad request even when the header overrides it.
     */
    private static long afterSeq(Context ctx) {
        long fromQuery = seq(ctx.queryParam("after"));
        String header = ctx.header(LAST_EVENT_ID);
        return header != null && !header.isBlank() ? seq(header) : fromQuery;
    }

    private static long seq(String value) {
        if (value == null || value.isBlank()) {
            return 0;
        }
        String digits = value.strip();
        // Only the ASCII digits of the ids the server sends: Long.parseLong would also take "+5" or other scripts' digits.
        if (digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            try {
                return Long.parseLong(digits);
            } catch (NumberFormatException e) {
                // more than a long holds: answered below
            }
        }
        throw CrewshipException.invalid("the event to resume after (Last-Event-ID or ?after=) must be a sequence number (0 or more), not \"" + value + "\"");
    }

    private static int limit(Context ctx) {
        String value = ctx.queryParam("limit");
        if (value == null || value.isBlank()) {
            return RunEvents.DEFAULT_LIMIT;
        }
        try {
            return Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw CrewshipException.invalid("limit must be a whole number between 1 and " + RunEvents.MAX_LIMIT);
        }
    }

    private ObjectNode json(Run run) {
        return RunJson.of(run, runs.projectName(run.projectId()));
    }

    static ObjectNode eventJson(Event event) {
        ObjectNode node = JsonNodeFactory.instance.objectNode().put("seq", event.seq()).put("type", event.type());
        node.set("data", event.data());
        return node.put("created_at", ProjectJson.timestamp(event.createdAt()));
    }

    static ObjectNode artifactJson(Artifact artifact) {
        return JsonNodeFactory.instance.objectNode()
                .put("name", artifact.name())
                .put("size", artifact.size())
                .put("content_type", artifact.contentType())
                .put("sha256", artifact.sha256())
                .put("created_at", ProjectJson.timestamp(artifact.createdAt()));
    }
}

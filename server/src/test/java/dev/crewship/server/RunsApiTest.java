package dev.crewship.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.crewship.deployment.Tarball;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The run routes over real HTTP with the real sandbox: start (idempotency), get, list (filters,
 * cursor), events (JSON pages and SSE resume), artifacts (nested names, 404s) and usage.
 */
class RunsApiTest {
    private static final String CREW = """
            import os, pathlib
            from crewship_runtime import sdk

            def kickoff(inputs):
                if inputs.get("fail"):
                    raise ValueError("asked to fail")
                if inputs.get("ticks"):
                    import time
                    time.sleep(inputs.get("wait_s", 0))
                    for i in range(inputs["ticks"]):
                        sdk.emit("test.tick", {"i": i, "pad": "x" * 2000})
                    return {"ticks": inputs["ticks"]}
                print("working on", inputs.get("topic"))
                sdk.emit("agent.started", {"agent": "Researcher", "task": "Research topic"})
                out = pathlib.Path(os.environ["CREWSHIP_ARTIFACTS_DIR"])
                (out / "charts").mkdir()
                (out / "charts" / "q1.csv").write_text("quarter,value\\nq1," + str(inputs.get("topic")) + "\\n")
                (out / "report.md").write_text("# " + str(inputs.get("topic")) + "\\n")
                return {"topic": inputs.get("topic")}
            """;

    private static TestServer server;
    private static String deploymentId;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        server.createProject("runs-api");
        byte[] bundle = Tarball.of()
                .file("crewship.toml", "[deployment]\nframework = \"crewai\"\nentrypoint = \"crew:kickoff\"\n")
                .file("crew.py", CREW)
                .gzip();
        deploymentId = server.upload("runs-api", server.adminKey, bundle).json().get("id").asText();
        assertThat(server.awaitBuild(deploymentId).get("status").asText()).isEqualTo("ready");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static JsonNode startRun(Map<String, Object> body) {
        TestServer.Response response = server.post("/v1/runs", server.adminKey, body);
        assertThat(response.status()).as(response.text()).isEqualTo(202);
        return response.json();
    }

    private static JsonNode awaitRun(String runId) {
        Instant deadline = Instant.now().plusSeconds(60);
        while (Instant.now().isBefore(deadline)) {
            JsonNode run = server.get("/v1/runs/" + runId, server.adminKey).json();
            String status = run.get("status").asText();
            if (!status.equals("pending") && !status.equals("running")) {
                return run;
            }
            TestServer.sleep(50);
        }
        throw new AssertionError("run " + runId + " did not finish within 60 s");
    }

    @Test
    void aRunOfTheProjectsCurrentDeploymentSucceedsWithOutputEventsAndArtifacts() throws Exception {
        JsonNode pending = startRun(Map.of("project", "runs-api", "input", Map.of("topic", "AI agents")));
        assertThat(pending.get("status").asText()).isEqualTo("pending");
        assertThat(pending.get("deployment_id").asText()).isEqualTo(deploymentId);
        assertThat(pending.get("project").asText()).isEqualTo("runs-api");
        String runId = pending.get("id").asText();

        JsonNode done = awaitRun(runId);

        assertThat(done.get("status").asText()).as(done.toString()).isEqualTo("succeeded");
        assertThat(done.get("output").get("topic").asText()).isEqualTo("AI agents");
        assertThat(done.get("duration_ms").asLong()).isPositive();
        assertThat(done.get("started_at").asText()).isNotEmpty();

        JsonNode events = server.get("/v1/runs/" + runId + "/events", server.adminKey).json();
        List<String> types = new ArrayList<>();
        events.get("data").forEach(event -> types.add(event.get("type").asText()));
        assertThat(types).containsExactly("run.started", "log", "agent.started", "artifact", "artifact", "run.completed");
        assertThat(events.get("has_more").asBoolean()).isFalse();

        JsonNode artifacts = server.get("/v1/runs/" + runId + "/artifacts", server.adminKey).json();
        assertThat(artifacts.get("data")).extracting(a -> a.get("name").asText()).containsExactly("charts/q1.csv", "report.md");

        TestServer.Response csv = server.get("/v1/runs/" + runId + "/artifacts/charts/q1.csv", server.adminKey);
        assertThat(csv.status()).isEqualTo(200);
        assertThat(csv.text()).isEqualTo("quarter,value\nq1,AI agents\n");
        assertThat(csv.header("Content-Type")).startsWith("text/csv");
        assertThat(csv.header("Content-Disposition")).isEqualTo("attachment; filename=\"q1.csv\"");
        String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(csv.body()));
        assertThat(csv.header("ETag")).isEqualTo("\"" + sha256 + "\"");
        assertThat(csv.header("Content-Length")).isEqualTo(String.valueOf(csv.body().length));

        assertThat(server.get("/v1/runs/" + runId + "/artifacts/missing.md", server.adminKey).status()).isEqualTo(404);
        assertThat(server.get("/v1/runs/run_unknown/artifacts", server.adminKey).status()).isEqualTo(404);
    }

    @Test
    void eventsArePagedAfterASequenceNumberAndTheStreamResumesAfterLastEventId() throws Exception {
        String runId = startRun(Map.of("deployment_id", deploymentId, "input", Map.of("topic", "paging"))).get("id").asText();
        awaitRun(runId);

        JsonNode firstTwo = server.get("/v1/runs/" + runId + "/events?limit=2", server.adminKey).json();
        assertThat(firstTwo.get("data")).extracting(e -> e.get("seq").asLong()).containsExactly(1L, 2L);
        assertThat(firstTwo.get("has_more").asBoolean()).isTrue();
        JsonNode rest = server.get("/v1/runs/" + runId + "/events?after=2", server.adminKey).json();
        assertThat(rest.get("data").get(0).get("seq").asLong()).isEqualTo(3);
        assertThat(rest.get("has_more").asBoolean()).isFalse();

        HttpRequest resume = HttpRequest.newBuilder(URI.create(server.url() + "/v1/runs/" + runId + "/events"))
                .header("Authorization", "Bearer " + server.adminKey)
                .header("Accept", "text/event-stream")
                .header("Last-Event-ID", "4")
                .timeout(Duration.ofSeconds(30))
                .build();
        HttpResponse<String> stream = HttpClient.newHttpClient().send(resume, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        assertThat(stream.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/event-stream");
        assertThat(stream.body()).startsWith("id: 5\nevent: artifact\ndata: {\"name\":\"report.md\"");
        assertThat(stream.body()).endsWith("event: run.completed\ndata: " + rest.get("data").get(rest.get("data").size() - 1).get("data") + "\n\n");

        TestServer.Response bad = server.get("/v1/runs/" + runId + "/events?after=minus-one", server.adminKey);
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.header("Content-Type")).startsWith("application/problem+json");
        assertThat(server.get("/v1/runs/" + runId + "/events?limit=0", server.adminKey).status()).isEqualTo(400);
        // The header wins over ?after=, but an invalid ?after= is still refused (found by the API fuzzer).
        Problems.assertProblem(server.get("/v1/runs/" + runId + "/events?after=9223372036854775808", server.adminKey,
                Map.of("Last-Event-ID", "0")), 400, "invalid-request");
        // Only the ASCII digits the server's own ids are made of ("+4", "-0", an Arabic-Indic 4, ...).
        for (String notASequenceNumber : new String[] {"%2B4", "-0", "%D9%A4", "4.0", "0x4"}) {
            Problems.assertProblem(server.get("/v1/runs/" + runId + "/events?after=" + notASequenceNumber, server.adminKey),
                    400, "invalid-request");
        }
        Problems.assertProblem(server.get("/v1/runs/" + runId + "/events", server.adminKey, Map.of("Last-Event-ID", "+4")),
                400, "invalid-request");
    }

    @Test
    void manySubscribersEachGetEveryEventOnceInOrderWhileOneThatNeverReadsHoldsNobodyUp() throws Exception {
        int ticks = 3000; // about 6 MB per stream: more than the socket buffers between the server and a stalled subscriber hold
        String runId = startRun(Map.of("deployment_id", deploymentId, "input", Map.of("ticks", ticks, "wait_s", 1))).get("id").asText();
        String request = "GET /v1/runs/" + runId + "/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                + "Authorization: Bearer " + server.adminKey + "\r\n\r\n";
        try (java.net.Socket stalled = new java.net.Socket()) {
            stalled.setReceiveBufferSize(4096);
            stalled.connect(new java.net.InetSocketAddress("127.0.0.1", URI.create(server.url()).getPort()));
            stalled.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            stalled.getOutputStream().flush();

            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpRequest follow = HttpRequest.newBuilder(URI.create(server.url() + "/v1/runs/" + runId + "/events"))
                    .header("Authorization", "Bearer " + server.adminKey)
                    .header("Accept", "text/event-stream")
                    .timeout(Duration.ofSeconds(60))
                    .build();
            List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> streams = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                streams.add(client.sendAsync(follow, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8)));
            }
            long expected = -1;
            for (var stream : streams) {
                String body = stream.get(90, java.util.concurrent.TimeUnit.SECONDS).body();
                List<Long> ids = body.lines().filter(line -> line.startsWith("id: ")).map(line -> Long.parseLong(line.substring(4))).toList();
                assertThat(ids).as("ids without gap or duplicate").isEqualTo(java.util.stream.LongStream.rangeClosed(1, ids.size()).boxed().toList());
                assertThat(ids.size()).isGreaterThan(ticks);
                assertThat(body).contains("event: run.completed\n");
                expected = expected < 0 ? ids.size() : expected;
                assertThat(ids).hasSize((int) expected);
            }
            assertThat(awaitRun(runId).get("status").asText()).isEqualTo("succeeded");
        }
        // The stalled subscriber, reconnecting with the last id it saw, gets the rest.
        HttpRequest resume = HttpRequest.newBuilder(URI.create(server.url() + "/v1/runs/" + runId + "/events"))
                .header("Authorization", "Bearer " + server.adminKey)
                .header("Accept", "text/event-stream")
                .header("Last-Event-ID", String.valueOf(ticks))
                .timeout(Duration.ofSeconds(30))
                .build();
        String rest = HttpClient.newHttpClient().send(resume, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8)).body();
        assertThat(rest).startsWith("id: " + (ticks + 1) + "\n").contains("event: run.completed\n");
    }

    @Test
    void anIdempotencyKeyAnswersARepeatWithTheOriginalRunAndADifferentBodyWithAConflict() {
        Map<String, Object> body = Map.of("deployment_id", deploymentId, "input", Map.of("topic", "once"));
        TestServer.Response first = server.send("POST", "/v1/runs", server.adminKey, "application/json",
                json(body), Map.of("Idempotency-Key", "order-42"));
        TestServer.Response repeat = server.send("POST", "/v1/runs", server.adminKey, "application/json",
                json(body), Map.of("Idempotency-Key", "order-42"));
        TestServer.Response different = server.send("POST", "/v1/runs", server.adminKey, "application/json",
                json(Map.of("deployment_id", deploymentId, "input", Map.of("topic", "twice"))), Map.of("Idempotency-Key", "order-42"));

        assertThat(first.status()).isEqualTo(202);
        assertThat(repeat.status()).isEqualTo(200);
        assertThat(repeat.json().get("id")).isEqualTo(first.json().get("id"));
        assertThat(different.status()).isEqualTo(409);
        assertThat(different.header("Content-Type")).startsWith("application/problem+json");
        awaitRun(first.json().get("id").asText());
    }

    @Test
    void listsFilterByStatusAndPageWithACursor() {
        String failed = startRun(Map.of("deployment_id", deploymentId, "input", Map.of("fail", true))).get("id").asText();
        JsonNode failedRun = awaitRun(failed);
        assertThat(failedRun.get("status").asText()).isEqualTo("failed");
        assertThat(failedRun.get("error").get("type").asText()).isEqualTo("ValueError");
        assertThat(failedRun.get("error").get("message").asText()).isEqualTo("asked to fail");

        JsonNode onlyFailed = server.get("/v1/runs?project=runs-api&status=failed", server.adminKey).json();
        assertThat(onlyFailed.get("data")).isNotEmpty().allSatisfy(run -> assertThat(run.get("status").asText()).isEqualTo("failed"));

        JsonNode page1 = server.get("/v1/runs?project=runs-api&limit=1", server.adminKey).json();
        assertThat(page1.get("data")).hasSize(1);
        assertThat(page1.get("has_more").asBoolean()).isTrue();
        JsonNode page2 = server.get("/v1/runs?project=runs-api&limit=1&starting_after=" + page1.get("next_cursor").asText(), server.adminKey).json();
        assertThat(page2.get("data")).hasSize(1);
        assertThat(page2.get("data").get(0).get("id")).isNotEqualTo(page1.get("data").get(0).get("id"));

        TestServer.Response badStatus = server.get("/v1/runs?status=done", server.adminKey);
        assertThat(badStatus.status()).isEqualTo(400);
        assertThat(badStatus.json().get("detail").asText()).contains("pending");

        JsonNode usage = server.get("/v1/projects/runs-api/usage", server.adminKey).json();
        assertThat(usage.get("object").asText()).isEqualTo("usage");
        assertThat(usage.get("runs").get("failed").asLong()).isGreaterThanOrEqualTo(1);
        assertThat(usage.get("runs").get("total").asLong()).isGreaterThanOrEqualTo(usage.get("runs").get("failed").asLong());
        assertThat(usage.get("run_seconds").asDouble()).isPositive();
    }

    @Test
    void anotherProjectsKeySeesNoneOfTheseRuns() {
        String runId = startRun(Map.of("deployment_id", deploymentId, "input", Map.of("topic", "private"))).get("id").asText();
        server.createProject("runs-api-other");
        String otherKey = server.projectKey("runs-api-other");

        assertThat(server.get("/v1/runs/" + runId, otherKey).status()).isEqualTo(404);
        assertThat(server.get("/v1/runs/" + runId + "/events", otherKey).status()).isEqualTo(404);
        assertThat(server.get("/v1/runs/" + runId + "/artifacts", otherKey).status()).isEqualTo(404);
        assertThat(server.post("/v1/runs/" + runId + "/cancel", otherKey, Map.of()).status()).isEqualTo(404);
        assertThat(server.get("/v1/projects/runs-api/usage", otherKey).status()).isEqualTo(404);
        assertThat(server.get("/v1/runs", otherKey).json().get("data")).isEmpty();
        awaitRun(runId);
    }

    private static byte[] json(Object body) {
        try {
            return TestServer.JSON.writeValueAsBytes(body);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}

package dev.crewship.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.crewship.deployment.Tarball;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Threads end to end against a real server: real SQLite store, real dispatcher, the real Python
 * runtime in bubblewrap sandboxes. The crew echoes its input, fails or sleeps when asked.
 */
class ThreadApiTest {
    private static final String CREW = """
            import time
            from crewship_runtime import sdk


            def kickoff(inputs):
                if inputs.get("fail"):
                    raise ValueError("asked to fail")
                time.sleep(float(inputs.get("sleep", 0)))
                values = sdk.values()
                if values is not None and "set" in inputs:
                    values.update(inputs["set"])
                if values is not None and "grow" in inputs:
                    values["blob"] = "x" * int(inputs["grow"])
                return {"input": inputs}
            """;

    private static TestServer server;
    private static String deploymentId;

    @BeforeAll
    static void start() throws Exception {
        // Sandboxed runs (another uid) must traverse every folder above the deployment's source.
        Path parent = Files.createTempDirectory("crewship-thread-test-");
        Files.setPosixFilePermissions(parent, PosixFilePermissions.fromString("rwx--x--x"));
        server = TestServer.start(parent.resolve("data"), config -> config);
        server.createProject("chat");
        byte[] bundle = Tarball.of()
                .file("crewship.toml", "[deployment]\nframework = \"crewai\"\nentrypoint = \"chat.crew:kickoff\"\n")
                .file("chat/__init__.py", "")
                .file("chat/crew.py", CREW)
                .gzip();
        deploymentId = server.upload("chat", server.adminKey, bundle).json().get("id").asText();
        JsonNode ready = server.awaitBuild(deploymentId);
        assertThat(ready.get("status").asText()).isEqualTo("ready");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void aThreadRunsOneRunAtATimeAndKeepsACheckpointAfterEachSuccess() {
        TestServer.Response created = server.post("/v1/threads", server.adminKey,
                Map.of("deployment_id", deploymentId, "values", Map.of("counter", 1), "metadata", Map.of("user", "alice")));
        assertThat(created.status()).isEqualTo(201);
        JsonNode thread = created.json();
        String threadId = thread.get("id").asText();
        assertThat(threadId).startsWith("thr_");
        assertThat(thread.get("object").asText()).isEqualTo("thread");
        assertThat(thread.get("project").asText()).isEqualTo("chat");
        assertThat(thread.get("deployment_id").asText()).isEqualTo(deploymentId);
        assertThat(thread.get("status").asText()).isEqualTo("idle");
        assertThat(thread.get("values")).isEqualTo(json("{\"counter\":1}"));
        assertThat(thread.get("metadata")).isEqualTo(json("{\"user\":\"alice\"}"));
        assertThat(thread.get("active_run_id").isNull()).isTrue();
        assertThat(thread.get("checkpoint_id").isNull()).isTrue();

        TestServer.Response accepted = server.post("/v1/threads/" + threadId + "/runs", server.adminKey,
                Map.of("input", Map.of("message", "hello", "sleep", 1, "set", Map.of("counter", 2))));
        assertThat(accepted.status()).isEqualTo(202);
        JsonNode run = accepted.json();
        String runId = run.get("id").asText();
        assertThat(run.get("object").asText()).isEqualTo("run");
        assertThat(run.get("thread_id").asText()).isEqualTo(threadId);
        assertThat(run.get("status").asText()).isIn("pending", "running");
        assertThat(server.get("/v1/threads/" + threadId, server.adminKey).json().get("status").asText()).isEqualTo("busy");

        TestServer.Response refused = server.post("/v1/threads/" + threadId + "/runs", server.adminKey, Map.of("input", Map.of("message", "too soon")));
        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.header("Content-Type")).startsWith("application/problem+json");
        assertThat(refused.json().get("type").asText()).isEqualTo("https://crewship.dev/problems/conflict");
        assertThat(refused.json().get("active_run_id").asText()).isEqualTo(runId);
        assertThat(refused.json().get("detail").asText()).contains(runId);

        JsonNode finished = awaitRun(runId);
        assertThat(finished.get("status").asText()).as(finished.toString()).isEqualTo("succeeded");
        JsonNode idle = server.get("/v1/threads/" + threadId, server.adminKey).json();
        assertThat(idle.get("status").asText()).isEqualTo("idle");
        assertThat(idle.get("active_run_id").isNull()).isTrue();

        JsonNode state = server.get("/v1/threads/" + threadId + "/state", server.adminKey).json();
        assertThat(state.get("object").asText()).isEqualTo("thread_state");
        assertThat(state.get("values").get("counter").asInt()).as("the crew changed its values through the SDK").isEqualTo(2);
        String checkpointId = state.get("checkpoint_id").asText();
        assertThat(checkpointId).startsWith("ckpt_");

        JsonNode history = server.get("/v1/threads/" + threadId + "/history", server.adminKey).json();
        assertThat(history.get("data")).hasSize(1);
        JsonNode checkpoint = history.get("data").get(0);
        assertThat(checkpoint.get("id").asText()).isEqualTo(checkpointId);
        assertThat(checkpoint.get("object").asText()).isEqualTo("checkpoint");
        assertThat(checkpoint.get("run_id").asText()).isEqualTo(runId);
        assertThat(checkpoint.get("parent_checkpoint_id").isNull()).isTrue();
        assertThat(checkpoint.get("values")).isEqualTo(state.get("values"));
        assertThat(server.get("/v1/threads/" + threadId + "/checkpoints/" + checkpointId, server.adminKey).json()).isEqualTo(checkpoint);

        JsonNode second = awaitRun(postRun(threadId, Map.of("message", "again")));
        assertThat(second.get("status").asText()).isEqualTo("succeeded");
        JsonNode history2 = server.get("/v1/threads/" + threadId + "/history?limit=1", server.adminKey).json();
        assertThat(history2.get("has_more").asBoolean()).isTrue();
        assertThat(history2.get("data").get(0).get("parent_checkpoint_id").asText()).isEqualTo(checkpointId);
        assertThat(server.get("/v1/threads/" + threadId + "/runs", server.adminKey).json().get("data"))
                .extracting(r -> r.get("id").asText()).containsExactly(second.get("id").asText(), runId);
    }

    @Test
    void failedAndCanceledRunsLeaveValuesAndHistoryUnchanged() {
        String threadId = createThread(Map.of("kept", "yes"));
        awaitRun(postRun(threadId, Map.of("message", "first")));
        JsonNode before = server.get("/v1/threads/" + threadId + "/state", server.adminKey).json();
        JsonNode historyBefore = server.get("/v1/threads/" + threadId + "/history", server.adminKey).json();

        JsonNode failed = awaitRun(postRun(threadId, Map.of("fail", true, "set", Map.of("kept", "no"))));
        assertThat(failed.get("status").asText()).isEqualTo("failed");
        assertThat(failed.at("/error/type").asText()).isEqualTo("ValueError");
        assertUnchanged(threadId, before, historyBefore);

        String sleeping = postRun(threadId, Map.of("sleep", 60, "set", Map.of("kept", "no")));
        awaitStatus(sleeping, "running");
        JsonNode canceled = server.post("/v1/runs/" + sleeping + "/cancel", server.adminKey, Map.of()).json();
        assertThat(canceled.get("status").asText()).isEqualTo("canceled");
        assertUnchanged(threadId, before, historyBefore);
    }

    @Test
    void valuesTooLargeToSaveFailTheRunAndLeaveTheThreadInErrorUntilTheNextSuccess() {
        String threadId = createThread(Map.of("kept", "yes"));
        JsonNode tooLarge = awaitRun(postRun(threadId, Map.of("grow", 2 * 1024 * 1024)));
        assertThat(tooLarge.get("status").asText()).isEqualTo("failed");
        assertThat(tooLarge.at("/error/type").asText()).isEqualTo("ThreadValuesTooLarge");
        JsonNode thread = server.get("/v1/threads/" + threadId, server.adminKey).json();
        assertThat(thread.get("status").asText()).isEqualTo("error");
        assertThat(thread.get("values").get("kept").asText()).isEqualTo("yes");
        assertThat(thread.get("values").has("blob")).isFalse();
        assertThat(server.get("/v1/threads/" + threadId + "/history", server.adminKey).json().get("data")).isEmpty();

        assertThat(awaitRun(postRun(threadId, Map.of("message", "recover"))).get("status").asText()).isEqualTo("succeeded");
        assertThat(server.get("/v1/threads/" + threadId, server.adminKey).json().get("status").asText()).isEqualTo("idle");
    }

    @Test
    void enqueuedRunsRunOneAfterTheOtherInOrder() {
        String threadId = createThread(Map.of());
        String first = postRun(threadId, Map.of("sleep", 1, "set", Map.of("order", "first")));
        TestServer.Response queued = server.post("/v1/threads/" + threadId + "/runs", server.adminKey,
                Map.of("input", Map.of("set", Map.of("order", "second")), "multitask_strategy", "enqueue"));
        assertThat(queued.status()).isEqualTo(202);
        String second = queued.json().get("id").asText();

        JsonNode firstDone = awaitRun(first);
        JsonNode secondDone = awaitRun(second);
        assertThat(firstDone.get("status").asText()).isEqualTo("succeeded");
        assertThat(secondDone.get("status").asText()).isEqualTo("succeeded");
        assertThat(Instant.parse(secondDone.get("started_at").asText())).isAfterOrEqualTo(Instant.parse(firstDone.get("finished_at").asText()));
        assertThat(server.get("/v1/threads/" + threadId + "/state", server.adminKey).json().at("/values/order").asText()).isEqualTo("second");
        assertThat(server.get("/v1/threads/" + threadId + "/history", server.adminKey).json().get("data"))
                .extracting(c -> c.get("run_id").asText()).containsExactly(second, first);
        assertThat(server.get("/v1/threads/" + threadId, server.adminKey).json().get("status").asText()).isEqualTo("idle");
    }

    @Test
    void anIdempotencyKeyMakesARepeatReturnTheOriginalRun() {
        String threadId = createThread(Map.of());
        Map<String, String> key = Map.of("Idempotency-Key", "turn-1");
        TestServer.Response first = server.send("POST", "/v1/threads/" + threadId + "/runs", server.adminKey, "application/json",
                "{\"input\":{\"message\":\"hi\",\"sleep\":1}}".getBytes(java.nio.charset.StandardCharsets.UTF_8), key);
        assertThat(first.status()).isEqualTo(202);
        TestServer.Response repeat = server.send("POST", "/v1/threads/" + threadId + "/runs", server.adminKey, "application/json",
                "{\"input\":{\"message\":\"hi\",\"sleep\":1}}".getBytes(java.nio.charset.StandardCharsets.UTF_8), key);
        assertThat(repeat.status()).as("a repeat while the run is active is not refused as busy").isEqualTo(200);
        assertThat(repeat.json().get("id")).isEqualTo(first.json().get("id"));
        TestServer.Response other = server.send("POST", "/v1/threads/" + threadId + "/runs", server.adminKey, "application/json",
                "{\"input\":{\"message\":\"bye\"}}".getBytes(java.nio.charset.StandardCharsets.UTF_8), key);
        assertProblem(other, 409, "conflict");
        assertThat(other.json().has("active_run_id")).isFalse();
        awaitRun(first.json().get("id").asText());
        assertThat(server.get("/v1/threads/" + threadId + "/runs", server.adminKey).json().get("data")).hasSize(1);
    }

    @Test
    void aForkStartsFromACheckpointAndLeavesTheOriginalAlone() {
        String threadId = createThread(Map.of());
        awaitRun(postRun(threadId, Map.of("set", Map.of("step", 1))));
        String firstCheckpoint = server.get("/v1/threads/" + threadId + "/state", server.adminKey).json().get("checkpoint_id").asText();
        awaitRun(postRun(threadId, Map.of("set", Map.of("step", 2))));
        JsonNode originalBefore = server.get("/v1/threads/" + threadId, server.adminKey).json();
        JsonNode checkpoint = server.get("/v1/threads/" + threadId + "/checkpoints/" + firstCheckpoint, server.adminKey).json();

        TestServer.Response forked = server.post("/v1/threads/" + threadId + "/fork", server.adminKey, Map.of("checkpoint_id", firstCheckpoint));
        assertThat(forked.status()).isEqualTo(201);
        String forkId = forked.json().get("id").asText();
        assertThat(forkId).isNotEqualTo(threadId);
        JsonNode forkState = server.get("/v1/threads/" + forkId + "/state", server.adminKey).json();
        assertThat(forkState.get("values")).isEqualTo(checkpoint.get("values"));
        assertThat(forkState.at("/values/step").asInt()).isEqualTo(1);
        JsonNode forkHistory = server.get("/v1/threads/" + forkId + "/history", server.adminKey).json().get("data");
        assertThat(forkHistory).hasSize(1);
        assertThat(forkHistory.get(0).get("parent_checkpoint_id").asText()).isEqualTo(firstCheckpoint);
        assertThat(server.get("/v1/threads/" + threadId, server.adminKey).json()).isEqualTo(originalBefore);

        awaitRun(postRun(forkId, Map.of("set", Map.of("step", 10))));
        assertThat(server.get("/v1/threads/" + threadId, server.adminKey).json()).isEqualTo(originalBefore);
        assertThat(server.post("/v1/threads/" + threadId + "/fork", server.adminKey, Map.of("checkpoint_id", "ckpt_nope")).status()).isEqualTo(404);
        assertThat(server.post("/v1/threads/" + forkId + "/fork", server.adminKey, Map.of("checkpoint_id", firstCheckpoint)).status())
                .as("a checkpoint of another thread").isEqualTo(404);
    }

    @Test
    void aForkCarriesTheConversationOverToANewerDeploymentOfTheProject() {
        String threadId = createThread(Map.of());
        awaitRun(postRun(threadId, Map.of("set", Map.of("step", 1))));
        byte[] v2 = Tarball.of()
                .file("crewship.toml", "[deployment]\nframework = \"crewai\"\nentrypoint = \"chat.crew:kickoff\"\n")
                .file("chat/__init__.py", "")
                .file("chat/crew.py", CREW + "\n\nVERSION = 2\n")
                .gzip();
        String newer = server.upload("chat", server.adminKey, v2).json().get("id").asText();
        assertThat(server.awaitBuild(newer).get("status").asText()).isEqualTo("ready");

        TestServer.Response moved = server.post("/v1/threads/" + threadId + "/fork", server.adminKey, Map.of("deployment_id", newer));
        assertThat(moved.status()).as(moved.text()).isEqualTo(201);
        assertThat(moved.json().get("deployment_id").asText()).isEqualTo(newer);
        assertThat(moved.json().at("/values/step").asInt()).isEqualTo(1);
        JsonNode run = awaitRun(postRun(moved.json().get("id").asText(), Map.of("message", "on v2")));
        assertThat(run.get("deployment_id").asText()).isEqualTo(newer);
        assertThat(run.get("status").asText()).isEqualTo("succeeded");
        assertThat(server.get("/v1/threads/" + threadId, server.adminKey).json().get("deployment_id").asText()).isEqualTo(deploymentId);

        server.createProject("elsewhere");
        String foreign = server.upload("elsewhere", server.adminKey, v2).json().get("id").asText();
        server.awaitBuild(foreign);
        assertProblem(server.post("/v1/threads/" + threadId + "/fork", server.adminKey, Map.of("deployment_id", foreign)), 400, "invalid-request");
        assertProblem(server.post("/v1/threads/" + threadId + "/fork", server.adminKey, Map.of("deployment_id", "dep_missing")), 404, "not-found");
    }

    @Test
    void badRequestsAreClearProblemsAndChangeNothing() {
        String threadId = createThread(Map.of("a", 1));
        JsonNode before = server.get("/v1/threads/" + threadId, server.adminKey).json();
        int threadsBefore = server.get("/v1/threads?limit=100", server.adminKey).json().get("data").size();

        assertProblem(server.post("/v1/threads/thr_missing/runs", server.adminKey, Map.of("input", Map.of())), 404, "not-found");
        assertProblem(server.get("/v1/threads/thr_missing", server.adminKey), 404, "not-found");
        assertProblem(server.post("/v1/threads", server.adminKey, Map.of("deployment_id", deploymentId, "values", List.of(1))), 400, "invalid-request");
        assertProblem(server.post("/v1/threads", server.adminKey, Map.of("deployment_id", deploymentId, "values", "text")), 400, "invalid-request");
        assertProblem(server.post("/v1/threads", server.adminKey, Map.of("deployment_id", deploymentId, "metadata", Map.of("n", 1))), 400, "invalid-request");
        assertProblem(server.post("/v1/threads", server.adminKey, Map.of("deployment_id", deploymentId, "colour", "red")), 400, "invalid-request");
        assertProblem(server.post("/v1/threads", server.adminKey, Map.of("deployment_id", "dep_missing")), 404, "not-found");
        assertProblem(server.post("/v1/threads", server.adminKey, Map.of("deployment_id", deploymentId, "values",
                Map.of("big", "x".repeat(1024 * 1024)))), 413, "payload-too-large");
        assertProblem(server.post("/v1/threads/" + threadId + "/runs", server.adminKey, Map.of("input", List.of())), 400, "invalid-request");
        assertProblem(server.post("/v1/threads/" + threadId + "/runs", server.adminKey,
                Map.of("input", Map.of(), "multitask_strategy", "interrupt")), 400, "invalid-request");
        assertProblem(server.get("/v1/threads?status=sleeping", server.adminKey), 400, "invalid-request");
        assertProblem(server.get("/v1/threads/" + threadId + "/checkpoints/ckpt_missing", server.adminKey), 404, "not-found");

        server.createProject("other");
        String foreignKey = server.projectKey("other");
        assertProblem(server.get("/v1/threads/" + threadId, foreignKey), 404, "not-found");
        assertProblem(server.post("/v1/threads/" + threadId + "/runs", foreignKey, Map.of("input", Map.of())), 404, "not-found");
        assertProblem(server.delete("/v1/threads/" + threadId, foreignKey), 404, "not-found");
        assertProblem(server.post("/v1/threads", foreignKey, Map.of("deployment_id", deploymentId)), 404, "not-found");
        assertThat(server.get("/v1/threads", foreignKey).json().get("data")).isEmpty();

        assertThat(server.get("/v1/threads/" + threadId, server.adminKey).json()).isEqualTo(before);
        assertThat(server.get("/v1/threads?limit=100", server.adminKey).json().get("data")).hasSize(threadsBefore);
        assertThat(server.get("/v1/threads/" + threadId + "/runs", server.adminKey).json().get("data")).isEmpty();
    }

    @Test
    void metadataValuesAreCountedInCharactersNotUtf16Units() {
        String fiveHundred = "\uD83D\uDE80".repeat(500);
        TestServer.Response created = server.post("/v1/threads", server.adminKey,
                Map.of("deployment_id", deploymentId, "metadata", Map.of("emoji", fiveHundred)));
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        assertThat(created.json().at("/metadata/emoji").asText()).isEqualTo(fiveHundred);
        assertProblem(server.post("/v1/threads", server.adminKey,
                Map.of("deployment_id", deploymentId, "metadata", Map.of("emoji", fiveHundred + "x"))), 400, "invalid-request");
    }

    @Test
    void threadsAreListedByMetadataAndDeletedOnlyWhenNotBusy() {
        String tagged = server.post("/v1/threads", server.adminKey, Map.of("project", "chat", "metadata", Map.of("session", "s-42")))
                .json().get("id").asText();
        createThread(Map.of());
        JsonNode listed = server.get("/v1/threads?metadata.session=s-42", server.adminKey).json();
        assertThat(listed.get("object").asText()).isEqualTo("list");
        assertThat(listed.get("data")).extracting(t -> t.get("id").asText()).containsExactly(tagged);

        String sleeping = postRun(tagged, Map.of("sleep", 60));
        TestServer.Response busy = server.delete("/v1/threads/" + tagged, server.adminKey);
        assertProblem(busy, 409, "conflict");
        assertThat(busy.json().get("active_run_id").asText()).isEqualTo(sleeping);
        server.post("/v1/runs/" + sleeping + "/cancel", server.adminKey, Map.of());

        assertThat(server.delete("/v1/threads/" + tagged, server.adminKey).status()).isEqualTo(204);
        assertThat(server.get("/v1/threads/" + tagged, server.adminKey).status()).isEqualTo(404);
        assertThat(server.get("/v1/runs/" + sleeping, server.adminKey).json().get("thread_id").asText()).isEqualTo(tagged);
    }

    @Test
    void everyThreadRouteIsInTheOpenApiDocument() {
        JsonNode paths = server.get("/openapi.json", null).json().get("paths");
        List<String> threadRoutes = server.server.routes().stream().filter(route -> route.contains("/v1/threads")).toList();
        assertThat(threadRoutes).hasSize(10);
        for (String route : threadRoutes) {
            String[] methodAndPath = route.split(" ", 2);
            String path = methodAndPath[1].replace("{checkpoint}", "{checkpoint_id}");
            assertThat(paths.path(path).has(methodAndPath[0].toLowerCase(java.util.Locale.ROOT))).as(route).isTrue();
        }
    }

    private static String createThread(Map<String, Object> values) {
        TestServer.Response created = server.post("/v1/threads", server.adminKey, Map.of("deployment_id", deploymentId, "values", values));
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        return created.json().get("id").asText();
    }

    private static String postRun(String threadId, Map<String, Object> input) {
        TestServer.Response accepted = server.post("/v1/threads/" + threadId + "/runs", server.adminKey, Map.of("input", input));
        assertThat(accepted.status()).as(accepted.text()).isEqualTo(202);
        return accepted.json().get("id").asText();
    }

    private static JsonNode awaitRun(String runId) {
        Instant deadline = Instant.now().plusSeconds(90);
        while (Instant.now().isBefore(deadline)) {
            JsonNode run = server.get("/v1/runs/" + runId, server.adminKey).json();
            if (List.of("succeeded", "failed", "canceled").contains(run.get("status").asText())) {
                return run;
            }
            TestServer.sleep(50);
        }
        throw new AssertionError("run " + runId + " did not finish");
    }

    private static void awaitStatus(String runId, String status) {
        Instant deadline = Instant.now().plusSeconds(60);
        while (Instant.now().isBefore(deadline)) {
            if (server.get("/v1/runs/" + runId, server.adminKey).json().get("status").asText().equals(status)) {
                return;
            }
            TestServer.sleep(20);
        }
        throw new AssertionError("run " + runId + " never became " + status);
    }

    private static void assertUnchanged(String threadId, JsonNode stateBefore, JsonNode historyBefore) {
        JsonNode state = server.get("/v1/threads/" + threadId + "/state", server.adminKey).json();
        assertThat(state.get("status").asText()).isEqualTo("idle");
        assertThat(state.get("values")).isEqualTo(stateBefore.get("values"));
        assertThat(state.get("checkpoint_id")).isEqualTo(stateBefore.get("checkpoint_id"));
        assertThat(server.get("/v1/threads/" + threadId + "/history", server.adminKey).json()).isEqualTo(historyBefore);
    }

    private static void assertProblem(TestServer.Response response, int status, String slug) {
        assertThat(response.status()).as(response.text()).isEqualTo(status);
        assertThat(response.header("Content-Type")).startsWith("application/problem+json");
        assertThat(response.json().get("type").asText()).isEqualTo("https://crewship.dev/problems/" + slug);
        assertThat(response.json().get("detail").asText()).isNotBlank();
    }

    private static JsonNode json(String text) {
        try {
            return TestServer.JSON.readTree(text);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }
}

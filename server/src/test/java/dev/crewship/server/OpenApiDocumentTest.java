package dev.crewship.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.crewship.deployment.Tarball;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Real answers of a real server conform to the OpenAPI document it serves (GET /openapi.json): the
 * answers the API fuzzer (reliability/bad_input.py) found the document describing wrongly, checked on
 * every test run. The crew writes an artifact, and sleeps when asked so a thread can be caught busy.
 */
class OpenApiDocumentTest {
    private static final String CREW = """
            import os, pathlib, time

            def kickoff(inputs):
                time.sleep(float(inputs.get("sleep", 0)))
                (pathlib.Path(os.environ["CREWSHIP_ARTIFACTS_DIR"]) / "report.md").write_text("# report\\n")
                return {"ok": True}
            """;

    private static TestServer server;
    private static OpenApiSchema openApi;
    private static String deploymentId;

    @BeforeAll
    static void start() throws Exception {
        Path parent = Files.createTempDirectory("crewship-openapi-test-");
        Files.setPosixFilePermissions(parent, PosixFilePermissions.fromString("rwx--x--x"));
        server = TestServer.start(parent.resolve("data"), config -> config);
        openApi = new OpenApiSchema(server.get("/openapi.json", null).json());
        server.createProject("documented");
        byte[] bundle = Tarball.of()
                .file("crewship.toml", "[deployment]\nframework = \"crewai\"\nentrypoint = \"crew:kickoff\"\n")
                .file("crew.py", CREW)
                .gzip();
        deploymentId = server.upload("documented", server.adminKey, bundle).json().get("id").asText();
        assertThat(server.awaitBuild(deploymentId).get("status").asText()).isEqualTo("ready");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void deploymentsAsDocumented() {
        conforms("GET", "/v1/deployments/{id}", server.get("/v1/deployments/" + deploymentId, server.adminKey));
        conforms("GET", "/v1/projects/{name}/deployments", server.get("/v1/projects/documented/deployments", server.adminKey));
    }

    @Test
    void runsEventsArtifactsAndUsageAsDocumented() {
        TestServer.Response created = server.post("/v1/runs", server.adminKey, Map.of("deployment_id", deploymentId));
        conforms("POST", "/v1/runs", created);
        String runId = created.json().get("id").asText();
        awaitTerminal(runId);
        conforms("GET", "/v1/runs/{id}", server.get("/v1/runs/" + runId, server.adminKey));
        conforms("GET", "/v1/runs/{id}/events", server.get("/v1/runs/" + runId + "/events", server.adminKey));
        conforms("GET", "/v1/runs/{id}/artifacts", server.get("/v1/runs/" + runId + "/artifacts", server.adminKey));
        conforms("GET", "/v1/projects/{name}/usage", server.get("/v1/projects/documented/usage", server.adminKey));

        TestServer.Response artifact = server.get("/v1/runs/" + runId + "/artifacts/report.md", server.adminKey);
        assertThat(artifact.status()).isEqualTo(200);
        assertThat(artifact.header("Content-Type")).startsWith("text/markdown");
        assertThat(openApi.documentsContentType("GET", "/v1/runs/{id}/artifacts/{name}", 200, artifact.header("Content-Type"))).isTrue();
    }

    @Test
    void aCreatedKeyWithItsSecretAsDocumented() {
        TestServer.Response created = server.post("/v1/keys", server.adminKey, Map.of("name", "documented-ci", "project", "documented"));
        conforms("POST", "/v1/keys", created);
        assertThat(created.json().get("secret").asText()).startsWith("csk_");
        conforms("GET", "/v1/keys", server.get("/v1/keys", server.adminKey));
    }

    @Test
    void aBusyThreadsConflictAsDocumented() {
        TestServer.Response thread = server.post("/v1/threads", server.adminKey, Map.of("deployment_id", deploymentId));
        conforms("POST", "/v1/threads", thread);
        String threadId = thread.json().get("id").asText();
        TestServer.Response running = server.post("/v1/threads/" + threadId + "/runs", server.adminKey, Map.of("input", Map.of("sleep", 60)));
        conforms("POST", "/v1/threads/{id}/runs", running);

        TestServer.Response busy = server.post("/v1/threads/" + threadId + "/runs", server.adminKey, Map.of("input", Map.of()));
        Problems.assertProblem(busy, 409, "conflict");
        assertThat(busy.json().get("active_run_id").asText()).isEqualTo(running.json().get("id").asText());
        conforms("POST", "/v1/threads/{id}/runs", busy);
        conforms("DELETE", "/v1/threads/{id}", server.delete("/v1/threads/" + threadId, server.adminKey));

        server.post("/v1/runs/" + running.json().get("id").asText() + "/cancel", server.adminKey, Map.of());
    }

    @Test
    void problemsAsDocumented() {
        conforms("GET", "/v1/runs/{id}", server.get("/v1/runs/run_missing", server.adminKey));
        conforms("GET", "/v1/runs/{id}/events", server.get("/v1/runs/run_missing/events?after=x", server.adminKey));
        conforms("POST", "/v1/keys", server.post("/v1/keys", server.adminKey, Map.of("name", " ")));
    }

    /** The answer's status is documented for the operation, and its body matches that status's schema. */
    private static void conforms(String method, String path, TestServer.Response response) {
        String contentType = response.header("Content-Type");
        assertThat(openApi.documentsContentType(method, path, response.status(), contentType))
                .as("%s %s %d answered %s", method, path, response.status(), contentType).isTrue();
        String mediaType = contentType.split(";", 2)[0].trim();
        assertThat(openApi.violations(method, path, response.status(), mediaType, response.json()))
                .as("%s %s %d: %s", method, path, response.status(), response.text()).isEmpty();
    }

    private static void awaitTerminal(String runId) {
        Instant deadline = Instant.now().plusSeconds(60);
        while (Instant.now().isBefore(deadline)) {
            String status = server.get("/v1/runs/" + runId, server.adminKey).json().get("status").asText();
            if (!status.equals("pending") && !status.equals("running")) {
                return;
            }
            TestServer.sleep(100);
        }
        throw new AssertionError("run " + runId + " did not finish");
    }
}

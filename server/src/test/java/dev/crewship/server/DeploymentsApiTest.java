package dev.crewship.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.crewship.common.Ids;
import dev.crewship.deployment.CrewshipToml;
import dev.crewship.deployment.Deployment;
import dev.crewship.deployment.DeploymentService;
import dev.crewship.deployment.DeploymentStatus;
import dev.crewship.deployment.Tarball;
import dev.crewship.store.jdbc.JdbcStore;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Deployments end to end with the real environment builder: upload, build, current, reuse, rollback, logs. */
class DeploymentsApiTest {
    private static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void aValidCrewBuildsBecomesCurrentAndASecondDeployReusesTheEnvironment() throws Exception {
        server.createProject("hello-crew");
        byte[] v1Bundle = Tarball.crew("v1").gzip();

        TestServer.Response uploaded = server.upload("hello-crew", server.adminKey, v1Bundle);

        assertThat(uploaded.status()).isEqualTo(202);
        JsonNode building = uploaded.json();
        String v1 = building.get("id").asText();
        assertThat(v1).startsWith("dep_");
        assertThat(building.get("object").asText()).isEqualTo("deployment");
        assertThat(building.get("project").asText()).isEqualTo("hello-crew");
        assertThat(building.get("status").asText()).isEqualTo("building");
        assertThat(building.get("current").asBoolean()).isFalse();
        assertThat(building.get("entrypoint").asText()).isEqualTo("hello.crew:kickoff");
        assertThat(building.get("framework").asText()).isEqualTo("crewai");
        assertThat(building.get("python").asText()).isEqualTo("3.11");
        assertThat(building.get("config")).isEqualTo(TestServer.JSON.readTree(
                "{\"timeout_seconds\":3600,\"memory_mb\":4096,\"max_processes\":256,\"cpu_seconds\":3600,\"network\":false,\"llm_tokens\":false}"));
        assertThat(building.get("source_sha256").asText()).isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(v1Bundle)));
        assertThat(building.get("error").isNull()).isTrue();
        assertThat(building.get("ready_at").isNull()).isTrue();

        JsonNode ready = server.awaitBuild(v1);
        assertThat(ready.get("status").asText()).as(server.get("/v1/deployments/" + v1 + "/logs", server.adminKey).text()).isEqualTo("ready");
        assertThat(ready.get("current").asBoolean()).isTrue();
        assertThat(Instant.parse(ready.get("ready_at").asText())).isAfterOrEqualTo(Instant.parse(ready.get("created_at").asText()));
        assertThat(server.get("/v1/projects/hello-crew", server.adminKey).json().get("current_deployment_id").asText()).isEqualTo(v1);
        assertThat(server.data.resolve("deployments/" + v1 + "/source/hello/crew.py")).content().contains("v1");
        assertThat(server.data.resolve("deployments/" + v1 + "/source/artifacts")).isEmptyDirectory();
        String v1Log = server.get("/v1/deployments/" + v1 + "/logs", server.adminKey).text();
        assertThat(v1Log).contains("Building " + v1).contains("is ready");
        // Other tests of this server may have built the same (empty) environment first.
        assertThat(ready.get("environment_reused").asBoolean()).isEqualTo(v1Log.contains("Reusing environment"));

        String v2 = server.upload("hello-crew", server.adminKey, Tarball.crew("v2").gzip()).json().get("id").asText();
        JsonNode second = server.awaitBuild(v2);
        assertThat(second.get("status").asText()).isEqualTo("ready");
        assertThat(second.get("environment_reused").asBoolean()).isTrue();
        assertThat(second.get("current").asBoolean()).isTrue();
        assertThat(server.get("/v1/deployments/" + v1, server.adminKey).json().get("current").asBoolean()).isFalse();
        assertThat(server.get("/v1/deployments/" + v2 + "/logs", server.adminKey).text()).contains("Reusing environment");

        List<String> before = deploymentIds("hello-crew");
        assertThat(before).containsExactly(v2, v1);
        TestServer.Response rolledBack = server.post("/v1/projects/hello-crew/rollback", server.adminKey, Map.of("deployment_id", v1));

        assertThat(rolledBack.status()).isEqualTo(200);
        assertThat(rolledBack.json().get("object").asText()).isEqualTo("project");
        assertThat(rolledBack.json().get("current_deployment_id").asText()).isEqualTo(v1);
        assertThat(deploymentIds("hello-crew")).as("no new deployment: nothing was rebuilt").isEqualTo(before);
        assertThat(server.get("/v1/deployments/" + v1 + "/logs", server.adminKey).text()).as("v1 was not built again").isEqualTo(v1Log);
        assertThat(server.get("/v1/deployments/" + v1, server.adminKey).json().get("current").asBoolean()).isTrue();
        assertThat(server.get("/v1/deployments/" + v2, server.adminKey).json().get("current").asBoolean()).isFalse();
    }

    @Test
    void aMissingDependencyFailsTheBuildWithItsLogAndNeverBecomesCurrent() {
        server.createProject("broken-deps");
        String good = server.upload("broken-deps", server.adminKey, Tarball.crew("v1").gzip()).json().get("id").asText();
        server.awaitBuild(good);
        byte[] bundle = Tarball.crew("v2").file("requirements.txt", "crewship-this-package-does-not-exist==9.9.9\n").gzip();

        String failedId = server.upload("broken-deps", server.adminKey, bundle).json().get("id").asText();
        JsonNode failed = server.awaitBuild(failedId);

        assertThat(failed.get("status").asText()).isEqualTo("failed");
        assertThat(failed.get("error").asText()).contains("installing the dependencies");
        assertThat(failed.get("current").asBoolean()).isFalse();
        assertThat(server.get("/v1/deployments/" + failedId + "/logs", server.adminKey).text())
                .contains("crewship-this-package-does-not-exist").contains("Build failed");
        assertThat(server.get("/v1/projects/broken-deps", server.adminKey).json().get("current_deployment_id").asText()).isEqualTo(good);

        JsonNode problem = Problems.assertProblem(server.post("/v1/projects/broken-deps/rollback", server.adminKey,
                Map.of("deployment_id", failedId)), 409, "deployment-not-ready");
        assertThat(problem.get("detail").asText()).contains("failed");
        Problems.assertProblem(server.post("/v1/projects/broken-deps/rollback", server.adminKey, Map.of("deployment_id", "dep_unknown")),
                404, "not-found");
        Problems.assertProblem(server.post("/v1/projects/broken-deps/rollback", server.adminKey, Map.of()), 400, "invalid-request");
    }

    @Test
    void theBuildLogStreamsLineByLineAndEndsWithTheStatus() throws Exception {
        server.createProject("streamed");
        String id = server.upload("streamed", server.adminKey, Tarball.crew("v1").gzip()).json().get("id").asText();

        HttpResponse<Stream<String>> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(server.server.url() + "/v1/deployments/" + id + "/logs"))
                        .header("Authorization", "Bearer " + server.adminKey)
                        .header("Accept", "text/event-stream")
                        .build(),
                HttpResponse.BodyHandlers.ofLines());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("text/event-stream"));
        List<String> lines = response.body().toList(); // the stream ends by itself after the status event
        List<String> events = new ArrayList<>();
        List<JsonNode> data = new ArrayList<>();
        for (String line : lines) {
            if (line.startsWith("event: ")) {
                events.add(line.substring(7));
            } else if (line.startsWith("data: ")) {
                data.add(TestServer.JSON.readTree(line.substring(6)));
            }
        }
        assertThat(events).hasSizeGreaterThan(2).last().isEqualTo("status");
        assertThat(events.subList(0, events.size() - 1)).containsOnly("log");
        assertThat(data.get(data.size() - 1).get("status").asText()).isEqualTo("ready");
        assertThat(data.get(data.size() - 1).get("error").isNull()).isTrue();
        StringBuilder streamed = new StringBuilder();
        data.subList(0, data.size() - 1).forEach(line -> streamed.append(line.get("line").asText()).append('\n'));
        assertThat(streamed.toString()).isEqualTo(server.get("/v1/deployments/" + id + "/logs", server.adminKey).text());
    }

    @Test
    void deploymentsArePagedNewestFirst() {
        server.createProject("paged");
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ids.add(0, server.upload("paged", server.adminKey, Tarball.crew("v" + i).gzip()).json().get("id").asText());
        }
        ids.forEach(server::awaitBuild);

        JsonNode first = server.get("/v1/projects/paged/deployments?limit=2", server.adminKey).json();
        assertThat(first.get("object").asText()).isEqualTo("list");
        assertThat(first.get("data")).extracting(d -> d.get("id").asText()).containsExactly(ids.get(0), ids.get(1));
        assertThat(first.get("has_more").asBoolean()).isTrue();
        JsonNode second = server.get("/v1/projects/paged/deployments?limit=2&starting_after=" + first.get("next_cursor").asText(),
                server.adminKey).json();
        assertThat(second.get("data")).extracting(d -> d.get("id").asText()).containsExactly(ids.get(2));
        assertThat(second.get("has_more").asBoolean()).isFalse();
        assertThat(second.get("next_cursor").isNull()).isTrue();
        Problems.assertProblem(server.get("/v1/projects/paged/deployments?limit=0", server.adminKey), 400, "invalid-request");
        Problems.assertProblem(server.get("/v1/projects/paged/deployments?limit=lots", server.adminKey), 400, "invalid-request");
        assertThat(server.get("/v1/projects/paged", server.adminKey).json().get("current_deployment_id").asText())
                .as("the newest build is current, whatever order the builds finished in").isEqualTo(ids.get(0));
    }

    @Test
    void aBuildInterruptedByAStopIsFailedOnTheNextStart() throws IOException {
        TestServer own = TestServer.start();
        String deploymentId;
        try {
            String projectId = own.createProject("interrupted").get("id").asText();
            own.stop();
            // A deployment left building, as a killed server leaves it.
            try (JdbcStore store = JdbcStore.open("jdbc:sqlite:" + own.data.resolve("crewship.db"))) {
                deploymentId = store.deployments().create(new Deployment(Ids.next(Ids.DEPLOYMENT), projectId, DeploymentStatus.BUILDING,
                        CrewshipToml.parse("[deployment]\nframework = \"crewai\"\nentrypoint = \"hello.crew:kickoff\"\n"),
                        "0".repeat(64), null, null, Instant.now(), null)).id();
            }
        } finally {
            own.stop();
        }
        TestServer restarted = TestServer.start(own.data, config -> config);
        try {
            JsonNode deployment = restarted.get("/v1/deployments/" + deploymentId, restarted.adminKey).json();
            assertThat(deployment.get("status").asText()).isEqualTo("failed");
            assertThat(deployment.get("error").asText()).isEqualTo(DeploymentService.BUILD_INTERRUPTED);
            assertThat(restarted.get("/v1/deployments/" + deploymentId + "/logs", restarted.adminKey).text())
                    .contains(DeploymentService.BUILD_INTERRUPTED);
        } finally {
            restarted.close();
        }
    }

    private static List<String> deploymentIds(String project) {
        List<String> ids = new ArrayList<>();
        server.get("/v1/projects/" + project + "/deployments?limit=100", server.adminKey).json().get("data")
                .forEach(d -> ids.add(d.get("id").asText()));
        return ids;
    }
}

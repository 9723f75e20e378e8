package dev.crewship.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.crewship.common.Ids;
import dev.crewship.deployment.CrewshipToml;
import dev.crewship.deployment.Deployment;
import dev.crewship.deployment.DeploymentStatus;
import dev.crewship.deployment.Tarball;
import dev.crewship.store.jdbc.JdbcStore;
import java.nio.file.Files;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ProjectsApiTest {
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
    void aProjectIsCreatedReadListedAndDeleted() {
        TestServer.Response created = server.post("/v1/projects", server.adminKey, Map.of("name", "research-crew"));

        assertThat(created.status()).isEqualTo(201);
        JsonNode project = created.json();
        assertThat(project.get("id").asText()).startsWith("proj_");
        assertThat(project.get("object").asText()).isEqualTo("project");
        assertThat(project.get("name").asText()).isEqualTo("research-crew");
        assertThat(project.get("current_deployment_id").isNull()).isTrue();
        assertThat(Instant.parse(project.get("created_at").asText())).isBeforeOrEqualTo(Instant.now());
        assertThat(server.get("/v1/projects/research-crew", server.adminKey).json()).isEqualTo(project);
        assertThat(server.get("/v1/projects", server.adminKey).json().get("data")).contains(project);

        assertThat(server.delete("/v1/projects/research-crew", server.adminKey).status()).isEqualTo(204);
        Problems.assertProblem(server.get("/v1/projects/research-crew", server.adminKey), 404, "not-found");
        Problems.assertProblem(server.delete("/v1/projects/research-crew", server.adminKey), 404, "not-found");
    }

    @Test
    void projectsAreListedByName() {
        server.createProject("zz-last");
        server.createProject("aa-first");

        JsonNode list = server.get("/v1/projects", server.adminKey).json();

        assertThat(list.get("object").asText()).isEqualTo("list");
        assertThat(list.get("data")).extracting(p -> p.get("name").asText()).isSorted().contains("aa-first", "zz-last");
    }

    @Test
    void aTakenNameIsAConflictAndChangesNothing() {
        JsonNode first = server.createProject("taken-name");

        Problems.assertProblem(server.post("/v1/projects", server.adminKey, Map.of("name", "taken-name")), 409, "conflict");

        assertThat(server.get("/v1/projects/taken-name", server.adminKey).json()).isEqualTo(first);
    }

    @ParameterizedTest
    @ValueSource(strings = {"ab", "Research", "1research", "research-", "-research", "research_crew", "research crew", "resé"})
    void invalidNamesAreRejected(String name) {
        JsonNode problem = Problems.assertProblem(server.post("/v1/projects", server.adminKey, Map.of("name", name)), 400, "invalid-request");

        assertThat(problem.get("detail").asText()).contains("lowercase letters");
    }

    @Test
    void namesMayHaveThreeToSixtyFourCharacters() {
        assertThat(server.post("/v1/projects", server.adminKey, Map.of("name", "abc")).status()).isEqualTo(201);
        assertThat(server.post("/v1/projects", server.adminKey, Map.of("name", "a" + "b".repeat(63))).status()).isEqualTo(201);
        Problems.assertProblem(server.post("/v1/projects", server.adminKey, Map.of("name", "a" + "b".repeat(64))), 400, "invalid-request");
        Problems.assertProblem(server.post("/v1/projects", server.adminKey, Map.of()), 400, "invalid-request");
    }

    @Test
    void aProjectWithUnfinishedRunsCannotBeDeletedAndDeletingRemovesItsDeploymentFiles() {
        server.createProject("busy-project");
        // The crew sleeps until the run is canceled, so the run stays unfinished for as long as the test needs.
        // (A run inserted into the database and claimed there "as another node" raced this server's own
        // dispatcher, which claims pending runs every second: it sometimes claimed the run first.)
        byte[] sleeper = Tarball.of()
                .file("crewship.toml", "[deployment]\nframework = \"crewai\"\nentrypoint = \"sleeper.crew:kickoff\"\n")
                .file("sleeper/__init__.py", "")
                .file("sleeper/crew.py", "import time\n\n\ndef kickoff(inputs):\n    time.sleep(float(inputs[\"sleep\"]))\n    return \"woke\"\n")
                .gzip();
        String deploymentId = server.upload("busy-project", server.adminKey, sleeper).json().get("id").asText();
        assertThat(server.awaitBuild(deploymentId).get("status").asText()).isEqualTo("ready");
        TestServer.Response started = server.post("/v1/runs", server.adminKey,
                Map.of("deployment_id", deploymentId, "input", Map.of("sleep", 600)));
        assertThat(started.status()).as(started.text()).isEqualTo(202);
        String runId = started.json().get("id").asText();

        JsonNode problem = Problems.assertProblem(server.delete("/v1/projects/busy-project", server.adminKey), 409, "conflict");
        assertThat(problem.get("detail").asText()).contains("1 pending or running runs");
        assertThat(server.get("/v1/projects/busy-project", server.adminKey).status()).isEqualTo(200);

        TestServer.Response canceled = server.post("/v1/runs/" + runId + "/cancel", server.adminKey, Map.of());
        assertThat(canceled.json().get("status").asText()).as(canceled.text()).isEqualTo("canceled");
        assertThat(server.data.resolve("deployments").resolve(deploymentId)).isDirectory();
        assertThat(server.delete("/v1/projects/busy-project", server.adminKey).status()).isEqualTo(204);
        assertThat(Files.exists(server.data.resolve("deployments").resolve(deploymentId))).isFalse();
        Problems.assertProblem(server.get("/v1/deployments/" + deploymentId, server.adminKey), 404, "not-found");
    }

    @Test
    void aProjectWithABuildingDeploymentCannotBeDeleted() throws Exception {
        String projectId = server.createProject("building-project").get("id").asText();
        try (JdbcStore store = JdbcStore.open("jdbc:sqlite:" + server.data.resolve("crewship.db"))) {
            store.deployments().create(new Deployment(Ids.next(Ids.DEPLOYMENT), projectId, DeploymentStatus.BUILDING,
                    CrewshipToml.parse("[deployment]\nframework = \"crewai\"\nentrypoint = \"a:b\"\n"),
                    "0".repeat(64), null, null, Instant.now(), null));
        }

        Problems.assertProblem(server.delete("/v1/projects/building-project", server.adminKey), 409, "conflict");
    }
}

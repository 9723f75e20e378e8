package dev.crewship.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.crewship.deployment.Tarball;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AuthenticationTest {
    private static TestServer server;
    private static String ownKey;
    private static String otherDeployment;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        server.createProject("own-project");
        server.createProject("other-project");
        ownKey = server.projectKey("own-project");
        otherDeployment = server.upload("other-project", server.adminKey, Tarball.crew("v1").gzip()).json().get("id").asText();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void aCallWithoutAKeyIsUnauthorized() {
        TestServer.Response response = server.get("/v1/projects", null);

        Problems.assertProblem(response, 401, "unauthorized");
        assertThat(response.header("WWW-Authenticate")).startsWith("Bearer");
        assertThat(response.json().get("detail").asText()).contains("Authorization: Bearer");
    }

    @Test
    void aWrongSchemeOrAnUnknownKeyIsUnauthorized() {
        Problems.assertProblem(server.get("/v1/projects", null, Map.of("Authorization", "Basic dXNlcjpwYXNz")), 401, "unauthorized");
        Problems.assertProblem(server.get("/v1/projects", "csk_" + "x".repeat(43)), 401, "unauthorized");
        Problems.assertProblem(server.get("/v1/projects", "not-even-a-key"), 401, "unauthorized");
        Problems.assertProblem(server.post("/v1/projects", "csk_wrong", Map.of("name", "never-created")), 401, "unauthorized");
        assertThat(server.get("/v1/projects/never-created", server.adminKey).status()).isEqualTo(404);
    }

    @Test
    void keyNamesAreCountedInCharactersNotUtf16Units() {
        // 100 characters is the documented limit (JSON Schema's maxLength counts code points too): 100 emoji,
        // 200 UTF-16 units, fit; 101 do not.
        String hundred = "\uD83D\uDE80".repeat(100);
        TestServer.Response created = server.post("/v1/keys", server.adminKey, Map.of("name", hundred, "project", "own-project"));
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        assertThat(created.json().get("name").asText()).isEqualTo(hundred);
        Problems.assertProblem(server.post("/v1/keys", server.adminKey, Map.of("name", hundred + "x", "project", "own-project")),
                400, "invalid-request");
    }

    @Test
    void aRevokedKeyStopsWorkingAtOnce() {
        JsonNode created = server.post("/v1/keys", server.adminKey, Map.of("name", "short-lived", "project", "own-project")).json();
        String secret = created.get("secret").asText();
        assertThat(server.get("/v1/projects/own-project", secret).status()).isEqualTo(200);

        assertThat(server.delete("/v1/keys/" + created.get("id").asText(), server.adminKey).status()).isEqualTo(204);

        Problems.assertProblem(server.get("/v1/projects/own-project", secret), 401, "unauthorized");
        Problems.assertProblem(server.delete("/v1/keys/" + created.get("id").asText(), server.adminKey), 404, "not-found");
    }

    @Test
    void aProjectKeySeesOnlyItsOwnProject() {
        JsonNode list = server.get("/v1/projects", ownKey).json();
        assertThat(list.get("data")).extracting(p -> p.get("name").asText()).containsExactly("own-project");
        assertThat(server.get("/v1/projects/own-project", ownKey).status()).isEqualTo(200);
        assertThat(server.get("/v1/projects/own-project/deployments", ownKey).status()).isEqualTo(200);
        assertThat(server.get("/v1/projects/own-project/env", ownKey).status()).isEqualTo(200);
    }

    @Test
    void anotherProjectsResourcesLookExactlyLikeMissingOnes() {
        for (String path : new String[] {"/v1/projects/other-project", "/v1/projects/other-project/deployments",
                "/v1/projects/other-project/env", "/v1/deployments/" + otherDeployment, "/v1/deployments/" + otherDeployment + "/logs"}) {
            TestServer.Response foreign = server.get(path, ownKey);
            TestServer.Response missing = server.get(path.replace("other-project", "missing-project").replace(otherDeployment, "dep_missing"), ownKey);
            Problems.assertProblem(foreign, 404, "not-found");
            Problems.assertProblem(missing, 404, "not-found");
            assertThat(foreign.json().get("detail").asText().replace("other-project", "X").replace(otherDeployment, "X"))
                    .isEqualTo(missing.json().get("detail").asText().replace("missing-project", "X").replace("dep_missing", "X"));
        }
        Problems.assertProblem(server.patch("/v1/projects/other-project/env", ownKey, Map.of("vars", Map.of("A_B", "value"))), 404, "not-found");
        Problems.assertProblem(server.delete("/v1/projects/other-project/env/A_B", ownKey), 404, "not-found");
        Problems.assertProblem(server.upload("other-project", ownKey, Tarball.crew("v1").gzip()), 404, "not-found");
        Problems.assertProblem(server.post("/v1/projects/other-project/rollback", ownKey, Map.of("deployment_id", otherDeployment)), 404, "not-found");
        Problems.assertProblem(server.post("/v1/projects/own-project/rollback", ownKey, Map.of("deployment_id", otherDeployment)), 404, "not-found");
    }

    @Test
    void adminOnlyCallsAreForbiddenToProjectKeys() {
        Problems.assertProblem(server.post("/v1/projects", ownKey, Map.of("name", "sneaky-project")), 403, "forbidden");
        Problems.assertProblem(server.delete("/v1/projects/own-project", ownKey), 403, "forbidden");
        Map<String, Object> adminKey = new HashMap<>();
        adminKey.put("name", "escalation");
        adminKey.put("project", null);
        Problems.assertProblem(server.post("/v1/keys", ownKey, adminKey), 403, "forbidden");
        Problems.assertProblem(server.post("/v1/keys", ownKey, Map.of("name", "escalation")), 403, "forbidden");
        assertThat(server.get("/v1/projects/own-project", ownKey).status()).isEqualTo(200);
    }

    @Test
    void keysAreManagedWithinTheCallersReach() {
        TestServer.Response created = server.post("/v1/keys", ownKey, Map.of("name", "ci", "project", "own-project"));
        assertThat(created.status()).isEqualTo(201);
        JsonNode key = created.json();
        assertThat(key.get("id").asText()).startsWith("key_");
        assertThat(key.get("object").asText()).isEqualTo("api_key");
        assertThat(key.get("project").asText()).isEqualTo("own-project");
        assertThat(key.get("secret").asText()).startsWith("csk_").hasSize(47).startsWith(key.get("prefix").asText());
        assertThat(key.get("prefix").asText()).hasSize(8);
        assertThat(key.get("created_at").asText()).endsWith("Z");

        Problems.assertProblem(server.post("/v1/keys", ownKey, Map.of("name", "ci", "project", "other-project")), 404, "not-found");

        JsonNode ownList = server.get("/v1/keys", ownKey).json();
        assertThat(ownList.get("data")).allMatch(k -> k.get("project").asText().equals("own-project"));
        assertThat(ownList.toString()).doesNotContain("secret").doesNotContain(key.get("secret").asText());
        JsonNode adminList = server.get("/v1/keys", server.adminKey).json();
        assertThat(adminList.get("data")).anyMatch(k -> k.get("project").isNull());

        String adminKeyId = java.util.stream.StreamSupport.stream(adminList.get("data").spliterator(), false)
                .filter(k -> k.get("project").isNull())
                .findFirst().orElseThrow().get("id").asText();
        Problems.assertProblem(server.delete("/v1/keys/" + adminKeyId, ownKey), 404, "not-found");
        assertThat(server.delete("/v1/keys/" + key.get("id").asText(), ownKey).status()).isEqualTo(204);
    }
}

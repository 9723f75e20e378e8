package dev.crewship.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EnvApiTest {
    private static final String OPENAI = "sk-test-" + "a1b2c3d4e5f6g7h8i9j0";
    private static final String MODEL = "gpt-4o-unique-model-name";
    private static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        server.createProject("env-project");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static List<String> names(JsonNode list) {
        return list.get("data").findValuesAsText("name");
    }

    @Test
    void variablesAreSetListedAndUnsetWithoutEverShowingAValue() throws IOException {
        server.createProject("env-listing");
        TestServer.Response set = server.patch("/v1/projects/env-listing/env", server.adminKey,
                Map.of("vars", Map.of("OPENAI_API_KEY", OPENAI, "MODEL", MODEL)));

        assertThat(set.status()).isEqualTo(200);
        assertThat(set.json().get("object").asText()).isEqualTo("list");
        assertThat(names(set.json())).containsExactly("MODEL", "OPENAI_API_KEY");
        assertThat(set.json().get("data").get(0).get("updated_at").asText()).endsWith("Z");
        TestServer.Response listed = server.get("/v1/projects/env-listing/env", server.adminKey);
        assertThat(listed.json()).isEqualTo(set.json());
        for (TestServer.Response response : List.of(set, listed)) {
            assertThat(response.text()).doesNotContain(OPENAI).doesNotContain(MODEL).doesNotContain("value");
        }

        String newModel = "gpt-4o-mini-unique-model";
        assertThat(names(server.patch("/v1/projects/env-listing/env", server.adminKey, Map.of("vars", Map.of("MODEL", newModel))).json()))
                .containsExactly("MODEL", "OPENAI_API_KEY");
        assertThat(server.delete("/v1/projects/env-listing/env/MODEL", server.adminKey).status()).isEqualTo(204);
        assertThat(names(server.get("/v1/projects/env-listing/env", server.adminKey).json())).containsExactly("OPENAI_API_KEY");
        Problems.assertProblem(server.delete("/v1/projects/env-listing/env/MODEL", server.adminKey), 404, "not-found");

        String everything = databaseBytes();
        assertThat(everything).contains("OPENAI_API_KEY").doesNotContain(OPENAI).doesNotContain(MODEL).doesNotContain(newModel);
    }

    @Test
    void anInvalidVariableRejectsTheWholeRequest() {
        Map<String, String> vars = new LinkedHashMap<>();
        vars.put("GOOD_NAME", "good value");
        vars.put("1BAD", "x");

        JsonNode problem = Problems.assertProblem(server.patch("/v1/projects/env-project/env", server.adminKey, Map.of("vars", vars)),
                400, "invalid-request");

        assertThat(problem.get("detail").asText()).contains("1BAD");
        assertThat(names(server.get("/v1/projects/env-project/env", server.adminKey).json())).doesNotContain("GOOD_NAME");
    }

    @ParameterizedTest
    @ValueSource(strings = {"CREWSHIP_RUN_ID", "PATH", "HOME", "PYTHONPATH", "LD_PRELOAD"})
    void reservedNamesAreRefused(String name) {
        JsonNode problem = Problems.assertProblem(server.patch("/v1/projects/env-project/env", server.adminKey,
                Map.of("vars", Map.of(name, "x"))), 400, "invalid-request");

        assertThat(problem.get("detail").asText()).contains("reserved");
    }

    @Test
    void namesAndValuesAreValidated() {
        Problems.assertProblem(server.patch("/v1/projects/env-project/env", server.adminKey, Map.of("vars", Map.of("A-B", "x"))),
                400, "invalid-request");
        Problems.assertProblem(server.patch("/v1/projects/env-project/env", server.adminKey, Map.of("vars", Map.of("A".repeat(129), "x"))),
                400, "invalid-request");
        assertThat(server.patch("/v1/projects/env-project/env", server.adminKey, Map.of("vars", Map.of("A".repeat(128), "x"))).status())
                .isEqualTo(200);
        assertThat(Problems.assertProblem(server.patch("/v1/projects/env-project/env", server.adminKey,
                Map.of("vars", Map.of("BIG", "x".repeat(32 * 1024 + 1)))), 400, "invalid-request").get("detail").asText()).contains("32768");
        assertThat(server.patch("/v1/projects/env-project/env", server.adminKey, Map.of("vars", Map.of("BIG", "x".repeat(32 * 1024)))).status())
                .isEqualTo(200);
        Map<String, String> nullValue = new HashMap<>();
        nullValue.put("NULL_VALUE", null);
        assertThat(Problems.assertProblem(server.patch("/v1/projects/env-project/env", server.adminKey, Map.of("vars", nullValue)),
                400, "invalid-request").get("detail").asText()).contains("DELETE");
        Problems.assertProblem(server.patch("/v1/projects/env-project/env", server.adminKey, Map.of("vars", Map.of())), 400, "invalid-request");
        Problems.assertProblem(server.patch("/v1/projects/env-project/env", server.adminKey, Map.of()), 400, "invalid-request");
        Problems.assertProblem(server.patch("/v1/projects/missing-project/env", server.adminKey, Map.of("vars", Map.of("A", "b"))), 404, "not-found");
    }

    @Test
    void aProjectKeyManagesItsOwnVariables() {
        String key = server.projectKey("env-project");

        assertThat(server.patch("/v1/projects/env-project/env", key, Map.of("vars", Map.of("FROM_PROJECT_KEY", "value-1234"))).status())
                .isEqualTo(200);
        assertThat(names(server.get("/v1/projects/env-project/env", key).json())).contains("FROM_PROJECT_KEY");
        assertThat(server.delete("/v1/projects/env-project/env/FROM_PROJECT_KEY", key).status()).isEqualTo(204);
    }

    /** The database and its write-ahead log as text (ISO-8859-1 keeps every byte). */
    private static String databaseBytes() throws IOException {
        StringBuilder all = new StringBuilder();
        try (Stream<Path> files = Files.list(server.data)) {
            for (Path file : files.filter(f -> f.getFileName().toString().startsWith("crewship.db")).toList()) {
                all.append(new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1));
            }
        }
        return all.toString();
    }
}

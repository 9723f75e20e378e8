package dev.crewship.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Bad requests get problem+json that names the mistake, never a Java or Jackson class, and change nothing. */
class RequestProblemsTest {
    private static final long BODY_LIMIT = 64 * 1024;
    private static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(TestServer.newDataDir(), config -> config.withLimits(config.limits().withMaxBodyBytes(BODY_LIMIT)));
        server.createProject("problem-project");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static TestServer.Response postRaw(String path, String contentType, String body) {
        return server.send("POST", path, server.adminKey, contentType, body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void malformedJsonIsABadRequestWithItsPosition() {
        JsonNode problem = Problems.assertProblem(postRaw("/v1/projects", "application/json", "{\"name\": "), 400, "invalid-request");

        assertThat(problem.get("detail").asText()).startsWith("the request body is not valid JSON").contains("line 1");
    }

    @Test
    void aBodyThatIsNotAnObjectIsABadRequest() {
        assertThat(Problems.assertProblem(postRaw("/v1/projects", "application/json", "[1, 2]"), 400, "invalid-request")
                .get("detail").asText()).isEqualTo("the request body must be a JSON object, not an array");
        assertThat(Problems.assertProblem(postRaw("/v1/projects", "application/json", "\"name\""), 400, "invalid-request")
                .get("detail").asText()).isEqualTo("the request body must be a JSON object, not a string");
        assertThat(Problems.assertProblem(postRaw("/v1/projects", "application/json", ""), 400, "invalid-request")
                .get("detail").asText()).contains("empty");
        Problems.assertProblem(postRaw("/v1/projects", "application/json", "{\"name\": \"a-b-c\"} {}"), 400, "invalid-request");
    }

    @Test
    void unknownFieldsAreRejectedByName() {
        JsonNode problem = Problems.assertProblem(server.post("/v1/projects", server.adminKey, Map.of("name", "fine-name", "colour", "red")),
                400, "invalid-request");

        assertThat(problem.get("detail").asText()).isEqualTo("unknown field \"colour\"; allowed fields: name");
        Problems.assertProblem(server.get("/v1/projects/fine-name", server.adminKey), 404, "not-found");
    }

    @Test
    void wrongTypesAndDuplicateKeysAreRejectedByName() {
        assertThat(Problems.assertProblem(postRaw("/v1/projects", "application/json", "{\"name\": 5}"), 400, "invalid-request")
                .get("detail").asText()).isEqualTo("field \"name\" must be a string");
        assertThat(Problems.assertProblem(postRaw("/v1/projects", "application/json", "{\"name\": {\"a\": 1}}"), 400, "invalid-request")
                .get("detail").asText()).isEqualTo("field \"name\" must be a string");
        assertThat(Problems.assertProblem(server.patch("/v1/projects/problem-project/env", server.adminKey, "{\"vars\": {\"A_B\": 7}}"),
                400, "invalid-request").get("detail").asText()).isEqualTo("field \"vars.A_B\" must be a string");
        assertThat(Problems.assertProblem(server.patch("/v1/projects/problem-project/env", server.adminKey, "{\"vars\": [\"A_B\"]}"),
                400, "invalid-request").get("detail").asText()).isEqualTo("field \"vars\" must be an object");
        assertThat(Problems.assertProblem(postRaw("/v1/projects", "application/json", "{\"name\": \"a-b-c\", \"name\": \"d-e-f\"}"),
                400, "invalid-request").get("detail").asText()).contains("Duplicate field 'name'");
    }

    @Test
    void aBodyOverTheLimitIsPayloadTooLarge() {
        String big = "{\"name\": \"" + "x".repeat((int) BODY_LIMIT) + "\"}";

        JsonNode problem = Problems.assertProblem(postRaw("/v1/projects", "application/json", big), 413, "payload-too-large");

        assertThat(problem.get("detail").asText()).contains(Long.toString(BODY_LIMIT));
        assertThat(server.get("/v1/projects", server.adminKey).json().get("data"))
                .noneMatch(project -> project.get("name").asText().startsWith("xxx"));
    }

    @Test
    void aBodyOverTheLimitWithoutContentLengthIsAlsoRefused() throws Exception {
        byte[] big = ("{\"name\": \"" + "x".repeat((int) BODY_LIMIT) + "\"}").getBytes(StandardCharsets.UTF_8);
        var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(server.server.url() + "/v1/projects"))
                .header("Authorization", "Bearer " + server.adminKey)
                .header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(big)))
                .build();

        var response = java.net.http.HttpClient.newHttpClient().send(request, java.net.http.HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
    }

    @Test
    void aWrongContentTypeIsUnsupported() {
        JsonNode problem = Problems.assertProblem(postRaw("/v1/projects", "text/plain", "{\"name\": \"plain-text\"}"), 415, "unsupported-media-type");
        assertThat(problem.get("detail").asText()).contains("application/json");
        Problems.assertProblem(postRaw("/v1/projects", null, "{\"name\": \"no-type\"}"), 415, "unsupported-media-type");
        Problems.assertProblem(server.send("POST", "/v1/projects/problem-project/deployments", server.adminKey, "application/json", "{}".getBytes()),
                415, "unsupported-media-type");
        assertThat(postRaw("/v1/projects", "application/json; charset=utf-8", "{\"name\": \"with-charset\"}").status()).isEqualTo(201);
    }

    @Test
    void unknownRoutesAndMethodsAreProblems() {
        Problems.assertProblem(server.get("/v1/nothing-here", server.adminKey), 404, "not-found");
        Problems.assertProblem(server.get("/nothing-here", null), 404, "not-found");
        TestServer.Response wrongMethod = server.send("PUT", "/v1/projects", server.adminKey, "application/json", "{}".getBytes());
        Problems.assertProblem(wrongMethod, 405, "method-not-allowed");
        assertThat(wrongMethod.header("Allow")).contains("GET").contains("POST");
    }

    @Test
    void everyAnswerCarriesARequestId() {
        TestServer.Response first = server.get("/health", null);
        TestServer.Response second = server.get("/v1/projects", null);

        assertThat(first.header("X-Request-Id")).startsWith("req_");
        assertThat(second.header("X-Request-Id")).startsWith("req_").isNotEqualTo(first.header("X-Request-Id"));
    }
}

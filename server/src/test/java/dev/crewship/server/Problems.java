package dev.crewship.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;

/** Assertions on problem+json answers. */
final class Problems {
    private Problems() {
    }

    /** The answer is a problem of this status and type slug, with a detail and no Java internals. */
    static JsonNode assertProblem(TestServer.Response response, int status, String slug) {
        assertThat(response.status()).as(response.text()).isEqualTo(status);
        assertThat(response.header("Content-Type")).startsWith("application/problem+json");
        JsonNode problem = response.json();
        assertThat(problem.get("type").asText()).isEqualTo("https://crewship.dev/problems/" + slug);
        assertThat(problem.get("status").asInt()).isEqualTo(status);
        assertThat(problem.get("title").asText()).isNotBlank();
        assertThat(problem.get("detail").asText()).isNotBlank();
        assertThat(response.text()).doesNotContain("Exception").doesNotContain("java.").doesNotContain("jackson")
                .doesNotContain("dev.crewship").doesNotContain("javalin");
        return problem;
    }
}

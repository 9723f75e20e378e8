package dev.crewship.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.crewship.server.http.Problems;
import dev.crewship.server.http.RequestIds;
import io.javalin.Javalin;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** A failure nobody planned for: logged with its stack trace on the server, answered with only a request id. */
class UnexpectedErrorTest {
    @Test
    void anUnexpectedExceptionIsAnInternalProblemWithoutItsDetails() throws Exception {
        Javalin app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.routes.before(new RequestIds());
            Problems.register(config.routes);
            config.routes.get("/boom", ctx -> {
                throw new IllegalStateException("database password is hunter2");
            });
        }).start("127.0.0.1", 0);
        try {
            HttpResponse<String> response = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + "/boom")).build(), HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).isEqualTo(500);
            assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
            JsonNode problem = new ObjectMapper().readTree(response.body());
            String requestId = response.headers().firstValue("X-Request-Id").orElseThrow();
            assertThat(problem.get("type").asText()).isEqualTo("https://crewship.dev/problems/internal");
            assertThat(problem.get("detail").asText()).contains(requestId);
            assertThat(response.body()).doesNotContain("hunter2").doesNotContain("IllegalStateException").doesNotContain("at ");
        } finally {
            app.stop();
        }
    }
}

package dev.crewship.cli.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The server's class cache training keeps matching the server: a real server answers each request as it should. */
class ServerStartupTrainingTest {
    @Test
    void everyTrainingRequestIsAnsweredAsExpected() throws IOException {
        Map<String, Integer> statuses = ServerStartupTraining.exercise();

        assertThat(statuses).containsEntry("GET /health", 200)
                .containsEntry("GET /v1/runs (no key)", 401)
                .containsEntry("POST /v1/projects", 201)
                .containsEntry("GET /v1/projects", 200)
                .containsEntry("GET /v1/projects/training/deployments", 200)
                .containsEntry("GET /v1/runs", 200)
                .containsEntry("GET /v1/runs?project=training&status=failed", 200)
                .containsEntry("POST /v1/runs (no deployment)", 409)
                .containsEntry("GET /v1/runs/run_missing", 404)
                .containsEntry("GET /v1/threads", 200)
                .containsEntry("GET /metrics", 200);
    }
}

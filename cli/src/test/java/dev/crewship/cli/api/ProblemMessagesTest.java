package dev.crewship.cli.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crewship.cli.config.Setting;
import org.junit.jupiter.api.Test;

class ProblemMessagesTest {
    private static final String URL = "http://127.0.0.1:8080";
    private static final Setting KEY = new Setting("csk_x", "CREWSHIP_API_KEY");

    private static String problem(String slug, int status, String detail) {
        return "{\"type\":\"https://crewship.dev/problems/" + slug + "\",\"title\":\"t\",\"status\":" + status + ",\"detail\":\"" + detail + "\"}";
    }

    @Test
    void aMissingRunPointsToTheRunsList() {
        ApiException e = ProblemMessages.toException(404, problem("not-found", 404, "run run_x not found"), "/v1/runs/run_x", URL, KEY);

        assertThat(e.getMessage()).isEqualTo("run run_x not found (check the id with 'crewship runs list')");
        assertThat(e.status()).isEqualTo(404);
        assertThat(e.problemType()).isEqualTo("not-found");
        assertThat(e.detail()).isEqualTo("run run_x not found");
        assertThat(e.isNotFound()).isTrue();
    }

    @Test
    void otherMissingThingsPointToTheirListings() {
        assertThat(ProblemMessages.notFoundHint("deployment dep_1 not found", "/v1/deployments/dep_1")).contains("crewship deployments list");
        assertThat(ProblemMessages.notFoundHint("project nope not found", "/v1/projects/nope/env")).contains("crewship projects list");
        assertThat(ProblemMessages.notFoundHint("api key key_1 not found", "/v1/keys/key_1")).contains("crewship keys list");
        assertThat(ProblemMessages.notFoundHint("environment variable X not found", "/v1/projects/p/env/X")).contains("crewship env list");
        assertThat(ProblemMessages.notFoundHint("artifact a.md not found", "/v1/runs/run_1/artifacts/a.md")).isEqualTo("check the name with 'crewship runs artifacts run_1'");
        assertThat(ProblemMessages.notFoundHint("run run_1 not found", "/v1/runs/run_1/artifacts/a.md")).contains("crewship runs list");
    }

    @Test
    void aRejectedKeySaysWhereTheKeyCameFrom() {
        ApiException e = ProblemMessages.toException(401, problem("unauthorized", 401, "unknown API key"), "/v1/runs", URL, KEY);

        assertThat(e.getMessage()).isEqualTo("the server at http://127.0.0.1:8080 rejected the API key from CREWSHIP_API_KEY (unknown API key); check the key or run 'crewship login'");
    }

    @Test
    void forbiddenMentionsAdminKeys() {
        assertThat(ProblemMessages.toException(403, problem("forbidden", 403, "only admin keys may create projects"), "/v1/projects", URL, KEY).getMessage())
                .isEqualTo("only admin keys may create projects (this API key may not do that; an admin key can)");
    }

    @Test
    void aBodyThatIsNotAProblemStillGivesOneLine() {
        ApiException e = ProblemMessages.toException(502, "<html>\n<body>Bad gateway</body>\n</html>", "/v1/runs", URL, KEY);

        assertThat(e.getMessage()).isEqualTo("<html> <body>Bad gateway</body> </html>");
        assertThat(ProblemMessages.toException(500, "", "/v1/runs", URL, KEY).getMessage()).isEqualTo("HTTP 500");
    }
}

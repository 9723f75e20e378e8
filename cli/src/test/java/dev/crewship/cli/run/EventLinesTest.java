package dev.crewship.cli.run;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.crewship.cli.api.Json;
import dev.crewship.cli.output.Ansi;
import org.junit.jupiter.api.Test;

class EventLinesTest {
    private static final Ansi PLAIN = new Ansi(false);

    private static JsonNode json(String text) throws Exception {
        return Json.parse(text);
    }

    @Test
    void formatsTheSeedsEventTypes() throws Exception {
        assertThat(EventLines.format("03:26:10", "log", json("{\"message\":\"Researcher agent starting...\",\"stream\":\"stdout\"}"), PLAIN))
                .isEqualTo("03:26:10  log             Researcher agent starting...");
        assertThat(EventLines.message("agent.started", json("{\"agent\":\"Researcher\",\"task\":\"Research topic\"}"), PLAIN))
                .isEqualTo("Researcher: Research topic");
        assertThat(EventLines.message("artifact", json("{\"name\":\"notes.md\",\"size\":1234}"), PLAIN)).isEqualTo("notes.md (1.2 KiB)");
        assertThat(EventLines.message("run.completed", json("{\"duration_ms\":45200}"), PLAIN)).isEqualTo("succeeded in 45.2 s");
        assertThat(EventLines.message("run.failed", json("{\"duration_ms\":5,\"error\":{\"type\":\"ValueError\",\"message\":\"bad\"}}"), PLAIN))
                .isEqualTo("failed: ValueError: bad");
        assertThat(EventLines.message("tool.called", json("{\"tool\":\"search\",\"args\":{\"q\":\"x\"}}"), PLAIN)).isEqualTo("search {\"q\":\"x\"}");
        assertThat(EventLines.message("log", json("{\"message\":\"skipped link\",\"stream\":\"system\"}"), PLAIN)).isEqualTo("[crewship] skipped link");
    }

    @Test
    void unknownTypesShowTheirData() throws Exception {
        assertThat(EventLines.message("task.started", json("{\"task\":\"t\"}"), PLAIN)).isEqualTo("{\"task\":\"t\"}");
    }

    @Test
    void terminalTypes() {
        assertThat(EventLines.isTerminal("run.completed")).isTrue();
        assertThat(EventLines.isTerminal("run.failed")).isTrue();
        assertThat(EventLines.isTerminal("run.canceled")).isTrue();
        assertThat(EventLines.isTerminal("run.started")).isFalse();
    }

    @Test
    void errorTextCopesWithMissingParts() throws Exception {
        assertThat(EventLines.errorText(json("{\"type\":\"Timeout\"}"))).isEqualTo("Timeout");
        assertThat(EventLines.errorText(json("null"))).isEqualTo("unknown error");
    }
}

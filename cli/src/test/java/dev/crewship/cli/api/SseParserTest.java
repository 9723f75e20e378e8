package dev.crewship.cli.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseParserTest {
    private static List<ServerSentEvent> parse(String stream) throws IOException {
        List<ServerSentEvent> events = new ArrayList<>();
        SseParser.read(new BufferedReader(new StringReader(stream)), events::add);
        return events;
    }

    @Test
    void readsIdsTypesAndDataAndSkipsComments() throws IOException {
        List<ServerSentEvent> events = parse("""
                : keep-alive

                id: 1
                event: log
                data: {"message": "Researcher agent starting..."}

                id:2
                event:artifact
                data:{"name":"notes.md","size":1234}

                """);

        assertThat(events).containsExactly(
                new ServerSentEvent("1", "log", "{\"message\": \"Researcher agent starting...\"}"),
                new ServerSentEvent("2", "artifact", "{\"name\":\"notes.md\",\"size\":1234}"));
        assertThat(events.get(1).json().get("size").asInt()).isEqualTo(1234);
    }

    @Test
    void joinsDataLinesAndDefaultsTheType() throws IOException {
        assertThat(parse("data: a\ndata: b\n\n")).containsExactly(new ServerSentEvent(null, "message", "a\nb"));
    }

    @Test
    void anEventWithoutItsBlankLineIsNotDelivered() throws IOException {
        assertThat(parse("event: log\ndata: {}\n")).isEmpty();
    }

    @Test
    void theHandlerCanStopTheStream() throws IOException {
        List<String> seen = new ArrayList<>();
        boolean stopped = SseParser.read(new BufferedReader(new StringReader("event: a\n\nevent: b\n\nevent: c\n\n")), event -> {
            seen.add(event.type());
            return !event.type().equals("b");
        });

        assertThat(stopped).isTrue();
        assertThat(seen).containsExactly("a", "b");
    }

    @Test
    void dataThatIsNotJsonComesBackAsText() {
        assertThat(new ServerSentEvent(null, "log", "plain words").json().asText()).isEqualTo("plain words");
    }
}

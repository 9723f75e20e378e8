package dev.crewship.cli.api;

import java.io.BufferedReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Reads a {@code text/event-stream} (WHATWG rules the server follows: {@code id:}, {@code event:},
 * {@code data:} lines, a blank line ends an event, {@code :} lines are comments such as keep-alives).
 */
final class SseParser {
    private SseParser() {
    }

    /**
     * Hands each event to {@code handler} as it arrives, until the handler returns false or the stream
     * ends. Returns true when the handler stopped it, false when the stream ended first.
     */
    static boolean read(BufferedReader reader, Predicate<ServerSentEvent> handler) throws IOException {
        String id = null;
        String type = null;
        List<String> data = new ArrayList<>();
        String line;
        while ((line = reader.readLine()) != null) {
            if (line.isEmpty()) {
                if (type != null || !data.isEmpty()) {
                    if (!handler.test(new ServerSentEvent(id, type == null ? "message" : type, String.join("\n", data)))) {
                        return true;
                    }
                }
                id = null;
                type = null;
                data.clear();
            } else if (!line.startsWith(":")) {
                int colon = line.indexOf(':');
                String field = colon < 0 ? line : line.substring(0, colon);
                String value = colon < 0 ? "" : line.substring(colon + 1);
                if (value.startsWith(" ")) {
                    value = value.substring(1);
                }
                switch (field) {
                    case "id" -> id = value;
                    case "event" -> type = value;
                    case "data" -> data.add(value);
                    default -> {
                        // "retry" and unknown fields do not matter to a CLI reading one stream
                    }
                }
            }
        }
        return false;
    }
}

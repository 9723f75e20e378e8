package dev.crewship.server.http;

import dev.crewship.event.Event;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes Server-Sent Events exactly as docs/api.md specifies: for each event the lines
 * {@code id: <seq>}, {@code event: <type>}, {@code data: <json>} and a blank line; comments as
 * {@code : <text>} and a blank line. Every write is flushed so the client sees it at once. Event
 * types never contain line breaks (executors accept only {@code [a-z][a-z0-9_.]*}), and the data is
 * compact JSON, which escapes line breaks, so every field is one line.
 */
final class EventStreamWriter {
    static final String CONTENT_TYPE = "text/event-stream";

    private final OutputStream out;

    EventStreamWriter(OutputStream out) {
        this.out = out;
    }

    void event(Event event) throws IOException {
        write("id: " + event.seq() + "\nevent: " + event.type() + "\ndata: " + event.data().toString() + "\n\n");
    }

    void comment(String text) throws IOException {
        write(": " + text + "\n\n");
    }

    /** Sends the response headers now, so a client knows the stream is open before the first event. */
    void open() throws IOException {
        out.flush();
    }

    private void write(String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}

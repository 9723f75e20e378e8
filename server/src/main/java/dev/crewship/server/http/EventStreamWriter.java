package dev.crewship.server.http;

import dev.crewship.event.SseEvent;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes Server-Sent Events exactly as docs/api.md specifies: each event as its shared, already
 * encoded frame ({@link SseEvent}: {@code id:}, {@code event:}, {@code data:} and a blank line);
 * comments as {@code : <text>} and a blank line. Events are written without flushing, so a caller
 * can send everything that is waiting in one write and then {@link #flush()}; comments are flushed
 * at once.
 */
final class EventStreamWriter {
    static final String CONTENT_TYPE = "text/event-stream";

    private final OutputStream out;

    EventStreamWriter(OutputStream out) {
        this.out = out;
    }

    /** Writes one event (not yet flushed) and returns its size in bytes. */
    int event(SseEvent event) throws IOException {
        out.write(event.frame());
        return event.frame().length;
    }

    void comment(String text) throws IOException {
        out.write((": " + text + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** Sends what was written; also sends the response headers, so a client knows the stream is open before the first event. */
    void flush() throws IOException {
        out.flush();
    }
}

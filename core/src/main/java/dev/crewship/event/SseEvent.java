package dev.crewship.event;

import java.nio.charset.StandardCharsets;

/**
 * An event with its Server-Sent Events frame, exactly as docs/api.md specifies: the lines
 * {@code id: <seq>}, {@code event: <type>}, {@code data: <json>} and a blank line. The frame is
 * encoded once per published event and shared by every subscriber of the run ({@link EventBus}),
 * so a thousand subscribers cost one serialization, not a thousand. Event types never contain line
 * breaks (executors accept only {@code [a-z][a-z0-9_.]*}), and the data is compact JSON, which
 * escapes line breaks, so every field is one line. The frame's bytes are shared: nobody writes to them.
 */
public record SseEvent(Event event, byte[] frame) {
    public static SseEvent of(Event event) {
        String text = "id: " + event.seq() + "\nevent: " + event.type() + "\ndata: " + event.data().toString() + "\n\n";
        return new SseEvent(event, text.getBytes(StandardCharsets.UTF_8));
    }

    public long seq() {
        return event.seq();
    }

    public boolean isTerminal() {
        return event.isTerminal();
    }
}

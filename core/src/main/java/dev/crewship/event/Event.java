package dev.crewship.event;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/** A stored event of a run. {@code seq} is the SSE {@code id:} and the {@code Last-Event-ID} to resume after. */
public record Event(String runId, long seq, String type, JsonNode data, Instant createdAt) {
    public boolean isTerminal() {
        return EventTypes.isTerminal(type);
    }
}

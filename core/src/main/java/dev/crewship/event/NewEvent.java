package dev.crewship.event;

import com.fasterxml.jackson.databind.JsonNode;

/** An event before it is stored (no sequence number yet). {@code data} is a JSON object. */
public record NewEvent(String type, JsonNode data) {
}

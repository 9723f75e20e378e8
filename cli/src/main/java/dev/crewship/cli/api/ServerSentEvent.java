package dev.crewship.cli.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;

/**
 * One event of a {@code text/event-stream}: its {@code id:} (null when the server sends none), its
 * {@code event:} type ("message" when absent) and its {@code data:} lines joined by newlines.
 */
public record ServerSentEvent(String id, String type, String data) {
    /** The data as JSON; data that is not JSON comes back as a JSON string. */
    public JsonNode json() {
        if (data == null || data.isEmpty()) {
            return Json.object();
        }
        try {
            return Json.parse(data);
        } catch (JsonProcessingException e) {
            return TextNode.valueOf(data);
        }
    }
}

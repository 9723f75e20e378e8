package dev.crewship.common;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.crewship.error.CrewshipException;
import java.nio.charset.StandardCharsets;

/** The check every JSON object field of a request gets: an object (absent or null means empty) of bounded size. */
public final class JsonObjects {
    private JsonObjects() {
    }

    /**
     * {@code node} as an object, {@code {}} when absent or null.
     *
     * @throws CrewshipException INVALID_REQUEST when it is not an object, PAYLOAD_TOO_LARGE when its
     *                           serialized JSON is over {@code maxBytes}
     */
    public static ObjectNode require(String field, JsonNode node, long maxBytes) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return JsonNodeFactory.instance.objectNode();
        }
        if (!node.isObject()) {
            throw CrewshipException.invalid(field + " must be a JSON object");
        }
        long size = serializedSize(node);
        if (size > maxBytes) {
            throw CrewshipException.tooLarge(field + " is " + size + " bytes; at most " + maxBytes + " are allowed");
        }
        return (ObjectNode) node;
    }

    /** Bytes of the node as compact UTF-8 JSON. */
    public static long serializedSize(JsonNode node) {
        return node.toString().getBytes(StandardCharsets.UTF_8).length;
    }
}

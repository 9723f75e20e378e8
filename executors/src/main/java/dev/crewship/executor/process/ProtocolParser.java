package dev.crewship.executor.process;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.crewship.event.EventTypes;
import dev.crewship.run.RunError;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Turns protocol lines into {@link ProtocolMessage}s. Everything arriving here was written by
 * untrusted code, so every field is checked and anything off becomes {@link ProtocolMessage.Unreadable}.
 */
final class ProtocolParser {
    static final int PROTOCOL_VERSION = 1;
    /** Largest event line: events are stored and streamed one by one, unlike the single result. */
    static final int MAX_EVENT_CHARS = 1024 * 1024;

    private static final Pattern EVENT_TYPE = Pattern.compile("[a-z][a-z0-9_.]{0,99}");
    /** Types only the server emits: a crew announcing its own completion would lie to every subscriber. */
    private static final Set<String> SERVER_EVENT_TYPES = Set.of(
            EventTypes.RUN_STARTED, EventTypes.RUN_COMPLETED, EventTypes.RUN_FAILED, EventTypes.RUN_CANCELED, EventTypes.ARTIFACT);

    private final ObjectMapper json;

    ProtocolParser(ObjectMapper json) {
        this.json = json;
    }

    ProtocolMessage parse(String line) {
        JsonNode node;
        try {
            node = json.readTree(line);
        } catch (JsonProcessingException e) {
            return new ProtocolMessage.Unreadable(line, "not JSON");
        }
        if (node == null || !node.isObject()) {
            return new ProtocolMessage.Unreadable(line, "not a JSON object");
        }
        JsonNode v = node.get("v");
        if (v == null || !v.isIntegralNumber() || v.asInt() != PROTOCOL_VERSION) {
            return new ProtocolMessage.Unreadable(line, "unsupported protocol version " + v);
        }
        String kind = node.path("kind").asText("");
        return switch (kind) {
            case "event" -> event(node, line);
            case "result" -> result(node, line);
            case "error" -> failure(node, line);
            default -> new ProtocolMessage.Unreadable(line, "unknown kind '" + kind + "'");
        };
    }

    private static ProtocolMessage event(JsonNode node, String line) {
        JsonNode type = node.get("type");
        JsonNode data = node.get("data");
        if (type == null || !type.isTextual() || !EVENT_TYPE.matcher(type.asText()).matches()) {
            return new ProtocolMessage.Unreadable(line, "invalid event type");
        }
        if (type.asText().startsWith("run.") || SERVER_EVENT_TYPES.contains(type.asText())) {
            return new ProtocolMessage.Unreadable(line, "event type " + type.asText() + " is reserved for the server");
        }
        if (data == null || !data.isObject()) {
            return new ProtocolMessage.Unreadable(line, "event data is not an object");
        }
        if (line.length() > MAX_EVENT_CHARS) {
            return new ProtocolMessage.Unreadable(line, "event larger than " + MAX_EVENT_CHARS + " characters");
        }
        return new ProtocolMessage.Event(type.asText(), data);
    }

    private static ProtocolMessage result(JsonNode node, String line) {
        JsonNode values = node.get("values");
        if (values != null && !values.isNull() && !values.isObject()) {
            return new ProtocolMessage.Unreadable(line, "result values are neither an object nor null");
        }
        JsonNode output = node.get("output");
        return new ProtocolMessage.Result(output == null ? NullNode.getInstance() : output,
                values == null || values.isNull() ? null : values);
    }

    private static ProtocolMessage failure(JsonNode node, String line) {
        JsonNode error = node.get("error");
        if (error == null || !error.isObject() || !error.path("type").isTextual() || !error.path("message").isTextual()) {
            return new ProtocolMessage.Unreadable(line, "error without type and message");
        }
        JsonNode traceback = error.get("traceback");
        return new ProtocolMessage.Failure(new RunError(error.get("type").asText(), error.get("message").asText(),
                traceback != null && traceback.isTextual() ? traceback.asText() : null));
    }
}

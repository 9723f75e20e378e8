package dev.crewship.cli.run;

import com.fasterxml.jackson.databind.JsonNode;
import dev.crewship.cli.api.Json;
import dev.crewship.cli.output.Ansi;
import dev.crewship.cli.output.Formats;

/**
 * One readable line per run event (payloads: docs/api.md): {@code 03:26:10  agent.started   Researcher: Research topic}.
 * Event types this CLI does not know are shown with their JSON, so nothing a crew emits is hidden.
 */
public final class EventLines {
    private static final int TYPE_WIDTH = 15;

    private EventLines() {
    }

    /** Whether an event type ends a run's stream. */
    public static boolean isTerminal(String type) {
        return "run.completed".equals(type) || "run.failed".equals(type) || "run.canceled".equals(type);
    }

    public static String format(String clock, String type, JsonNode data, Ansi ansi) {
        String padded = type.length() >= TYPE_WIDTH ? type : type + " ".repeat(TYPE_WIDTH - type.length());
        return ansi.dim(clock) + "  " + colourType(padded, type, ansi) + " " + message(type, data, ansi);
    }

    static String message(String type, JsonNode data, Ansi ansi) {
        return switch (type) {
            case "log" -> {
                String message = text(data, "message");
                String stream = text(data, "stream");
                yield "system".equals(stream) ? ansi.dim("[crewship] " + message)
                        : "stderr".equals(stream) ? ansi.yellow(message) : message;
            }
            case "agent.started" -> text(data, "agent") + ": " + text(data, "task");
            case "agent.completed" -> text(data, "agent") + " finished " + text(data, "task");
            case "tool.called" -> text(data, "tool") + (data.has("args") ? " " + Json.compact(data.get("args")) : "");
            case "artifact" -> text(data, "name") + " (" + Formats.bytes(data.path("size").asLong()) + ")";
            case "run.started" -> "deployment " + text(data, "deployment_id");
            case "run.completed" -> ansi.green("succeeded") + " in " + Formats.duration(data.path("duration_ms").asLong());
            case "run.failed" -> ansi.red("failed") + ": " + errorText(data.path("error"));
            case "run.canceled" -> "canceled after " + Formats.duration(data.path("duration_ms").asLong());
            default -> data == null || data.isEmpty() ? "" : Json.compact(data);
        };
    }

    /** {@code ValueError: bad input} from a run's or event's error object. */
    public static String errorText(JsonNode error) {
        if (error == null || error.isMissingNode() || error.isNull()) {
            return "unknown error";
        }
        String type = text(error, "type");
        String message = text(error, "message");
        return type.isEmpty() ? message : message.isEmpty() ? type : type + ": " + message;
    }

    private static String colourType(String padded, String type, Ansi ansi) {
        if (type.startsWith("run.")) {
            return ansi.bold(padded);
        }
        return type.equals("log") ? ansi.dim(padded) : ansi.cyan(padded);
    }

    private static String text(JsonNode data, String field) {
        String value = Json.text(data, field);
        return value == null ? "" : value;
    }
}

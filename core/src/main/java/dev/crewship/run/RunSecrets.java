package dev.crewship.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.crewship.event.NewEvent;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A project's environment variables for one run (decrypted) and the redactor that replaces their
 * values in anything the run reports (events, output, error) with {@code [REDACTED:NAME]}.
 */
public record RunSecrets(Map<String, String> env, UnaryOperator<String> redactor) {
    public RunSecrets {
        env = Map.copyOf(env);
    }

    /** A project without environment variables: nothing to inject, nothing to redact. */
    public static RunSecrets none() {
        return new RunSecrets(Map.of(), UnaryOperator.identity());
    }

    /** Where the dispatcher gets a project's secrets from (the env service, in the server). */
    @FunctionalInterface
    public interface Source {
        RunSecrets forProject(String projectId);
    }

    public String redact(String text) {
        return text == null ? null : redactor.apply(text);
    }

    /** A copy of {@code node} with every string value and object key redacted. */
    public JsonNode redact(JsonNode node) {
        if (node == null || env.isEmpty()) {
            return node;
        }
        if (node.isTextual()) {
            return JsonNodeFactory.instance.textNode(redact(node.textValue()));
        }
        if (node.isObject()) {
            ObjectNode copy = JsonNodeFactory.instance.objectNode();
            node.properties().forEach(field -> copy.set(redact(field.getKey()), redact(field.getValue())));
            return copy;
        }
        if (node.isArray()) {
            ArrayNode copy = JsonNodeFactory.instance.arrayNode(node.size());
            node.forEach(item -> copy.add(redact(item)));
            return copy;
        }
        return node;
    }

    public NewEvent redact(NewEvent event) {
        return new NewEvent(event.type(), redact(event.data()));
    }

    public RunError redact(RunError error) {
        return error == null ? null : new RunError(redact(error.type()), redact(error.message()), redact(error.traceback()));
    }
}

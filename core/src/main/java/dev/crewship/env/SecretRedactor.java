package dev.crewship.env;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

/**
 * Replaces the values of a project's environment variables with {@code [REDACTED:NAME]} wherever
 * they appear in text a run reports (events, output, errors).
 *
 * <p>Values shorter than {@value #MIN_LENGTH} characters are left alone: redacting "1" or "yes"
 * would mangle every text while protecting nothing. Longer values are found in the original text
 * longest first; an occurrence overlapping one already taken is skipped, so a value inside a longer
 * one never splits it, and the inserted markers are never searched again.
 */
public final class SecretRedactor implements UnaryOperator<String> {
    public static final int MIN_LENGTH = 4;

    private static final SecretRedactor NONE = new SecretRedactor(List.of());

    /** Values with their names, longest value first. */
    private final List<Map.Entry<String, String>> secrets;

    private SecretRedactor(List<Map.Entry<String, String>> secrets) {
        this.secrets = secrets;
    }

    /** A redactor for these variables (name → value). When two names share a value, the first name in order is shown. */
    public static SecretRedactor of(Map<String, String> variables) {
        Map<String, String> nameOfValue = new HashMap<>();
        new TreeMap<>(variables).forEach((name, value) -> {
            if (value != null && value.length() >= MIN_LENGTH) {
                nameOfValue.putIfAbsent(value, name);
            }
        });
        if (nameOfValue.isEmpty()) {
            return NONE;
        }
        List<Map.Entry<String, String>> secrets = nameOfValue.entrySet().stream()
                .sorted(Comparator.comparing((Map.Entry<String, String> e) -> e.getKey().length()).reversed()
                        .thenComparing(Map.Entry::getKey))
                .map(e -> Map.entry(e.getKey(), e.getValue()))
                .toList();
        return new SecretRedactor(secrets);
    }

    /** True when there is nothing to redact. */
    public boolean isEmpty() {
        return secrets.isEmpty();
    }

    @Override
    public String apply(String text) {
        return redact(text);
    }

    public String redact(String text) {
        if (text == null || secrets.isEmpty()) {
            return text;
        }
        // start -> (end, name) of every occurrence taken
        TreeMap<Integer, Map.Entry<Integer, String>> taken = new TreeMap<>();
        for (Map.Entry<String, String> secret : secrets) {
            String value = secret.getKey();
            for (int at = text.indexOf(value); at >= 0; at = text.indexOf(value, at + 1)) {
                if (free(taken, at, at + value.length())) {
                    taken.put(at, Map.entry(at + value.length(), secret.getValue()));
                }
            }
        }
        if (taken.isEmpty()) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        int position = 0;
        for (Map.Entry<Integer, Map.Entry<Integer, String>> occurrence : taken.entrySet()) {
            out.append(text, position, occurrence.getKey()).append("[REDACTED:").append(occurrence.getValue().getValue()).append(']');
            position = occurrence.getValue().getKey();
        }
        return out.append(text, position, text.length()).toString();
    }

    private static boolean free(TreeMap<Integer, Map.Entry<Integer, String>> taken, int start, int end) {
        Map.Entry<Integer, Map.Entry<Integer, String>> before = taken.floorEntry(start);
        if (before != null && before.getValue().getKey() > start) {
            return false;
        }
        Integer after = taken.ceilingKey(start);
        return after == null || after >= end;
    }

    /** A copy of {@code node} with every string value and every object key redacted. */
    public JsonNode redact(JsonNode node) {
        if (node == null || secrets.isEmpty()) {
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
}

package dev.crewship.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Checks real answers against the response schemas of the served OpenAPI document: the structural part of
 * JSON Schema the document uses ({@code $ref}, {@code allOf}/{@code anyOf}/{@code oneOf}, {@code type},
 * {@code const}, {@code enum}, {@code properties}, {@code required}, {@code additionalProperties},
 * {@code items}). It catches what the fuzzer found the document getting wrong (members the schema does not
 * declare, required ones missing, undocumented status codes and content types) in the ordinary test run.
 */
final class OpenApiSchema {
    private final JsonNode document;

    OpenApiSchema(JsonNode document) {
        this.document = document;
    }

    /** The documented response of an operation for a status code; fails when there is none. */
    JsonNode response(String method, String path, int status) {
        JsonNode response = resolve(document.path("paths").path(path).path(method.toLowerCase(Locale.ROOT))
                .path("responses").path(Integer.toString(status)));
        if (response.isMissingNode()) {
            throw new AssertionError(method + " " + path + " documents no " + status + " response");
        }
        return response;
    }

    /** Whether the response's Content-Type is one the document lists (the wildcard media type matches all). */
    boolean documentsContentType(String method, String path, int status, String contentType) {
        String mediaType = contentType.split(";", 2)[0].trim();
        for (Iterator<String> it = response(method, path, status).path("content").fieldNames(); it.hasNext(); ) {
            String documented = it.next();
            if (documented.equals("*/*") || documented.equals(mediaType)
                    || documented.endsWith("/*") && mediaType.startsWith(documented.substring(0, documented.length() - 1))) {
                return true;
            }
        }
        return false;
    }

    /** Everything about {@code body} that breaks the documented schema of this answer (empty: it conforms). */
    List<String> violations(String method, String path, int status, String mediaType, JsonNode body) {
        JsonNode schema = response(method, path, status).path("content").path(mediaType).path("schema");
        if (schema.isMissingNode()) {
            return List.of(method + " " + path + " " + status + " documents no " + mediaType + " body");
        }
        List<String> found = new ArrayList<>();
        check(schema, body, "$", found);
        return found;
    }

    private void check(JsonNode schema, JsonNode value, String at, List<String> found) {
        schema = resolve(schema);
        for (JsonNode part : schema.path("allOf")) {
            check(part, value, at, found);
        }
        for (String combinator : List.of("anyOf", "oneOf")) {
            if (schema.has(combinator)) {
                int matching = 0;
                for (JsonNode option : schema.get(combinator)) {
                    List<String> mismatches = new ArrayList<>();
                    check(option, value, at, mismatches);
                    matching += mismatches.isEmpty() ? 1 : 0;
                }
                if (matching == 0 || combinator.equals("oneOf") && matching > 1) {
                    found.add(at + ": matches " + matching + " of the " + combinator + " schemas");
                }
            }
        }
        if (schema.has("const") && !schema.get("const").equals(value)) {
            found.add(at + ": is " + value + ", documented as the constant " + schema.get("const"));
        }
        if (schema.has("enum") && !contains(schema.get("enum"), value)) {
            found.add(at + ": " + value + " is not one of " + schema.get("enum"));
        }
        if (schema.has("type") && !hasType(schema.get("type"), value)) {
            found.add(at + ": is " + value.getNodeType() + ", documented as " + schema.get("type"));
            return;
        }
        if (value.isObject()) {
            for (JsonNode required : schema.path("required")) {
                if (!value.has(required.asText())) {
                    found.add(at + ": the required member \"" + required.asText() + "\" is missing");
                }
            }
            for (Map.Entry<String, JsonNode> member : value.properties()) {
                JsonNode declared = schema.path("properties").path(member.getKey());
                JsonNode additional = schema.path("additionalProperties");
                if (!declared.isMissingNode()) {
                    check(declared, member.getValue(), at + "." + member.getKey(), found);
                } else if (additional.isBoolean() && !additional.asBoolean()) {
                    found.add(at + ": the member \"" + member.getKey() + "\" is not documented");
                } else if (additional.isObject()) {
                    check(additional, member.getValue(), at + "." + member.getKey(), found);
                }
            }
        }
        if (value.isArray() && schema.has("items")) {
            for (int i = 0; i < value.size(); i++) {
                check(schema.get("items"), value.get(i), at + "[" + i + "]", found);
            }
        }
    }

    private JsonNode resolve(JsonNode node) {
        while (node.has("$ref")) {
            node = document.at(node.get("$ref").asText().substring(1));
        }
        return node;
    }

    private static boolean contains(JsonNode values, JsonNode value) {
        for (JsonNode candidate : values) {
            if (candidate.equals(value)) {
                return true;
            }
        }
        return false;
    }

    private static boolean hasType(JsonNode types, JsonNode value) {
        if (types.isArray()) {
            for (JsonNode type : types) {
                if (hasType(type, value)) {
                    return true;
                }
            }
            return false;
        }
        return switch (types.asText()) {
            case "object" -> value.isObject();
            case "array" -> value.isArray();
            case "string" -> value.isTextual();
            case "integer" -> value.isIntegralNumber();
            case "number" -> value.isNumber();
            case "boolean" -> value.isBoolean();
            case "null" -> value.isNull();
            default -> true;
        };
    }
}

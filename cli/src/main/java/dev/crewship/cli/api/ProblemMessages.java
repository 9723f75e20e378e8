package dev.crewship.cli.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.crewship.cli.config.Setting;

/**
 * Turns an error answer (problem+json, docs/api.md) into the one line the CLI prints: the server's
 * detail plus what to do next, such as the command that lists valid ids.
 */
final class ProblemMessages {
    private static final String TYPE_PREFIX = "https://crewship.dev/problems/";

    private ProblemMessages() {
    }

    static ApiException toException(int status, String body, String path, String url, Setting apiKey) {
        JsonNode problem = parse(body);
        String type = slug(Json.text(problem, "type"));
        String detail = firstNonBlank(Json.text(problem, "detail"), Json.text(problem, "title"),
                problem == null ? abbreviate(body) : null, "HTTP " + status);
        return new ApiException(message(status, detail, path, url, apiKey), status, type, detail);
    }

    static String message(int status, String detail, String path, String url, Setting apiKey) {
        return switch (status) {
            case 401 -> "the server at " + url + " rejected the API key"
                    + (apiKey == null ? "" : " from " + apiKey.source())
                    + " (" + detail + "); check the key or run 'crewship login'";
            case 403 -> detail + " (this API key may not do that; an admin key can)";
            case 404 -> withHint(detail, notFoundHint(detail, path));
            default -> detail;
        };
    }

    /** Which listing shows the valid ids, judged by the id in the message, else by the URL path. */
    static String notFoundHint(String detail, String path) {
        if (path.contains("/artifacts/")) {
            String run = path.replaceFirst("^/v1/runs/([^/]+)/artifacts/.*$", "$1");
            if (!detail.contains("run_") || detail.contains("artifact")) {
                return "check the name with 'crewship runs artifacts " + run + "'";
            }
        }
        if (detail.contains("thr_")) {
            return "check the id with 'crewship threads list'";
        }
        if (detail.contains("run_")) {
            return "check the id with 'crewship runs list'";
        }
        if (detail.contains("dep_")) {
            return "check the id with 'crewship deployments list'";
        }
        if (detail.contains("key_")) {
            return "check the id with 'crewship keys list'";
        }
        if (path.contains("/env/")) {
            return "check the name with 'crewship env list'";
        }
        if (path.startsWith("/v1/projects") || detail.startsWith("project")) {
            return "check the name with 'crewship projects list'";
        }
        return null;
    }

    private static String withHint(String detail, String hint) {
        return hint == null ? detail : detail + " (" + hint + ")";
    }

    private static JsonNode parse(String body) {
        if (body == null || body.isBlank()) {
            return null;
        }
        try {
            JsonNode node = Json.parse(body);
            return node != null && node.isObject() ? node : null;
        } catch (java.io.IOException e) {
            return null;
        }
    }

    private static String slug(String type) {
        if (type == null) {
            return "";
        }
        return type.startsWith(TYPE_PREFIX) ? type.substring(TYPE_PREFIX.length()) : type;
    }

    private static String abbreviate(String body) {
        if (body == null || body.isBlank()) {
            return null;
        }
        String oneLine = body.strip().replaceAll("\\s+", " ");
        return oneLine.length() > 200 ? oneLine.substring(0, 200) + "…" : oneLine;
    }

    private static String firstNonBlank(String... values) {
        for (String value : values) {
            if (value != null && !value.isBlank()) {
                return value;
            }
        }
        return "";
    }
}

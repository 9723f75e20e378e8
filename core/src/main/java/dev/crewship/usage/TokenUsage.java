package dev.crewship.usage;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * LLM tokens summed over {@code llm.completed} events, whose {@code data.usage} holds
 * {@code prompt_tokens}, {@code completion_tokens} and {@code total_tokens} (docs/api.md, "Event
 * payloads"). A missing or non-numeric count adds nothing; a missing total is prompt plus completion.
 */
public record TokenUsage(long promptTokens, long completionTokens, long totalTokens) {
    public static final TokenUsage NONE = new TokenUsage(0, 0, 0);
    /** The event type whose {@code usage} is counted. */
    public static final String EVENT_TYPE = "llm.completed";

    /** This plus the usage one {@code llm.completed} event's data reports. */
    public TokenUsage plus(JsonNode eventData) {
        JsonNode usage = eventData == null ? null : eventData.get("usage");
        if (usage == null || !usage.isObject()) {
            return this;
        }
        long prompt = count(usage.get("prompt_tokens"));
        long completion = count(usage.get("completion_tokens"));
        JsonNode total = usage.get("total_tokens");
        long sum = total != null && total.canConvertToLong() && total.asLong() >= 0 ? total.asLong() : prompt + completion;
        return new TokenUsage(promptTokens + prompt, completionTokens + completion, totalTokens + sum);
    }

    private static long count(JsonNode value) {
        return value != null && value.isIntegralNumber() && value.canConvertToLong() && value.asLong() >= 0 ? value.asLong() : 0;
    }
}

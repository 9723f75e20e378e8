package dev.crewship.env;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SecretRedactorTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void everyOccurrenceOfAValueIsReplacedByItsName() {
        SecretRedactor redactor = SecretRedactor.of(Map.of("OPENAI_API_KEY", "sk-abc123", "MODEL", "gpt-4o"));

        assertThat(redactor.redact("key sk-abc123 and again sk-abc123, model gpt-4o"))
                .isEqualTo("key [REDACTED:OPENAI_API_KEY] and again [REDACTED:OPENAI_API_KEY], model [REDACTED:MODEL]");
        assertThat(redactor.redact("nothing secret here")).isEqualTo("nothing secret here");
        assertThat(redactor.redact((String) null)).isNull();
    }

    @Test
    void valuesShorterThanFourCharactersAreLeftAlone() {
        SecretRedactor redactor = SecretRedactor.of(Map.of("DEBUG", "1", "MODE", "yes", "TOKEN", "abcd"));

        assertThat(redactor.redact("1 yes abcd")).isEqualTo("1 yes [REDACTED:TOKEN]");
        assertThat(SecretRedactor.of(Map.of("DEBUG", "1")).isEmpty()).isTrue();
    }

    @Test
    void theLongestValueWinsWhereValuesOverlap() {
        SecretRedactor redactor = SecretRedactor.of(Map.of("SHORT", "secret", "LONG", "secret-and-more"));

        assertThat(redactor.redact("x secret-and-more y secret z"))
                .isEqualTo("x [REDACTED:LONG] y [REDACTED:SHORT] z");
    }

    @Test
    void insertedMarkersAreNeverRedactedAgain() {
        SecretRedactor redactor = SecretRedactor.of(Map.of("TOKEN", "tok-12345", "WORD", "REDACTED", "NAME", "TOKEN"));

        assertThat(redactor.redact("tok-12345")).isEqualTo("[REDACTED:TOKEN]");
        assertThat(redactor.redact("REDACTED TOKEN")).isEqualTo("[REDACTED:WORD] [REDACTED:NAME]");
    }

    @Test
    void aValueSharedByTwoNamesShowsTheFirstName() {
        SecretRedactor redactor = SecretRedactor.of(Map.of("B_KEY", "same-value", "A_KEY", "same-value"));

        assertThat(redactor.redact("same-value")).isEqualTo("[REDACTED:A_KEY]");
    }

    @Test
    void everyStringLeafAndKeyOfAJsonTreeIsRedacted() throws Exception {
        SecretRedactor redactor = SecretRedactor.of(Map.of("API_KEY", "sk-live-999"));
        JsonNode tree = JSON.readTree("""
                {"message": "using sk-live-999", "nested": {"list": ["a", "sk-live-999", 42, true, null]},
                 "sk-live-999": "as a key", "count": 7}""");

        JsonNode redacted = redactor.redact(tree);

        assertThat(redacted.toString()).doesNotContain("sk-live-999");
        assertThat(redacted.get("message").asText()).isEqualTo("using [REDACTED:API_KEY]");
        assertThat(redacted.at("/nested/list/1").asText()).isEqualTo("[REDACTED:API_KEY]");
        assertThat(redacted.at("/nested/list/2").asInt()).isEqualTo(42);
        assertThat(redacted.get("[REDACTED:API_KEY]").asText()).isEqualTo("as a key");
        assertThat(redacted.get("count").asInt()).isEqualTo(7);
        assertThat(tree.get("message").asText()).as("the original is not changed").isEqualTo("using sk-live-999");
    }

    @Test
    void noVariablesRedactNothing() throws Exception {
        SecretRedactor redactor = SecretRedactor.of(Map.of());
        JsonNode tree = JSON.readTree("{\"a\": \"b\"}");

        assertThat(redactor.isEmpty()).isTrue();
        assertThat(redactor.redact("text")).isEqualTo("text");
        assertThat(redactor.redact(tree)).isSameAs(tree);
    }
}

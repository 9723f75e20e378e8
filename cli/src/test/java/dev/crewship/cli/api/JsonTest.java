package dev.crewship.cli.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import java.math.BigInteger;
import org.junit.jupiter.api.Test;

/** The CLI's JSON reads and writes what Jackson's ObjectMapper (which it replaces for start-up time) would. */
class JsonTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String DOCUMENT = """
            {"object":"list","data":[{"id":"run_1","seq":7,"big":12345678901,"huge":123456789012345678901234567890,
            "ratio":0.25,"exp":1.5e3,"ok":true,"no":false,"none":null,"text":"caf\\u00e9 \\"quoted\\" \\n line",
            "nested":{"a":[1,[2,{}],[]]}}],"has_more":false,"dup":1,"dup":2}""";

    @Test
    void readsTheSameTreeAsObjectMapper() throws Exception {
        JsonNode ours = Json.parse(DOCUMENT);

        assertThat(ours).isEqualTo(MAPPER.readTree(DOCUMENT));
        JsonNode run = ours.get("data").get(0);
        assertThat(run.get("seq").isInt()).isTrue();
        assertThat(run.get("big").isLong()).isTrue();
        assertThat(run.get("huge").bigIntegerValue()).isEqualTo(new BigInteger("123456789012345678901234567890"));
        assertThat(run.get("ratio").isDouble()).isTrue();
        assertThat(run.get("text").asText()).isEqualTo("café \"quoted\" \n line");
        assertThat(ours.get("dup").asInt()).isEqualTo(2);
    }

    @Test
    void writesWhatObjectMapperWrites() throws Exception {
        JsonNode tree = MAPPER.readTree(DOCUMENT);

        assertThat(Json.compact(tree)).isEqualTo(MAPPER.writeValueAsString(tree));
        assertThat(Json.pretty(tree)).isEqualTo(MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(tree));
        assertThat(Json.parse(Json.pretty(tree))).isEqualTo(tree);
    }

    @Test
    void nothingButWhitespaceIsAMissingValue() throws Exception {
        assertThat(Json.parse(" \n\t ").getNodeType()).isEqualTo(JsonNodeType.MISSING);
    }

    @Test
    void refusesMoreThanOneValueAndBrokenJson() {
        assertThatThrownBy(() -> Json.parse("{\"topic\": \"a\"} {\"topic\": \"b\"}"))
                .isInstanceOf(JsonProcessingException.class)
                .hasMessageContaining("after the JSON value");
        assertThatThrownBy(() -> Json.parse("{\"topic\": "))
                .isInstanceOf(JsonProcessingException.class);
        assertThatThrownBy(() -> Json.parse("[1, 2"))
                .isInstanceOf(JsonProcessingException.class);
    }

    @Test
    void textOfAFieldIsNullWhenAbsentOrNull() throws Exception {
        JsonNode node = Json.parse("{\"a\":\"x\",\"b\":null,\"n\":3}");

        assertThat(Json.text(node, "a")).isEqualTo("x");
        assertThat(Json.text(node, "b")).isNull();
        assertThat(Json.text(node, "c")).isNull();
        assertThat(Json.text(node, "n")).isEqualTo("3");
        assertThat(Json.text(null, "a")).isNull();
    }
}

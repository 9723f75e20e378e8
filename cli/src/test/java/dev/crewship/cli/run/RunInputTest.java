package dev.crewship.cli.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.crewship.cli.CliException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunInputTest {
    @TempDir
    Path dir;

    private static final InputStream NO_STDIN = new ByteArrayInputStream(new byte[0]);

    @Test
    void parsesTheSeedsInlineObject() {
        var input = RunInput.parse("{\"topic\": \"quantum computing\", \"style\": \"blog\"}", dir, NO_STDIN);

        assertThat(input.get("topic").asText()).isEqualTo("quantum computing");
        assertThat(input.get("style").asText()).isEqualTo("blog");
    }

    @Test
    void noInputIsTheEmptyObject() {
        assertThat(RunInput.parse(null, dir, NO_STDIN).isEmpty()).isTrue();
    }

    @Test
    void readsAFileRelativeToTheCurrentFolderAndStdin() throws IOException {
        Files.writeString(dir.resolve("input.json"), "{\"n\": [1, 2]}\n");

        assertThat(RunInput.parse("@input.json", dir, NO_STDIN).get("n").size()).isEqualTo(2);
        assertThat(RunInput.parse("@-", dir, new ByteArrayInputStream("{\"a\":true}".getBytes(StandardCharsets.UTF_8))).get("a").asBoolean()).isTrue();
    }

    @Test
    void invalidJsonIsOneLineWithThePosition() {
        assertThatThrownBy(() -> RunInput.parse("{topic: 1}", dir, NO_STDIN))
                .isInstanceOf(CliException.class)
                .hasMessageStartingWith("--input is not valid JSON: ")
                .hasMessageContaining("line 1, column 2")
                .hasMessageEndingWith("nothing was sent")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void trailingGarbageIsRejected() {
        assertThatThrownBy(() -> RunInput.parse("{\"a\": 1} extra", dir, NO_STDIN)).hasMessageContaining("not valid JSON");
    }

    @Test
    void onlyAnObjectIsAnInput() {
        assertThatThrownBy(() -> RunInput.parse("[1, 2]", dir, NO_STDIN)).hasMessageContaining("must be a JSON object").hasMessageContaining("not an array");
        assertThatThrownBy(() -> RunInput.parse("\"text\"", dir, NO_STDIN)).hasMessageContaining("not a string");
        assertThatThrownBy(() -> RunInput.parse("   ", dir, NO_STDIN)).hasMessageContaining("is empty");
    }

    @Test
    void aMissingFileIsNamed() {
        assertThatThrownBy(() -> RunInput.parse("@nope.json", dir, NO_STDIN)).hasMessage("--input @nope.json: no such file; nothing was sent");
    }

    @Test
    void aFileWithBadJsonIsNamed() throws IOException {
        Files.writeString(dir.resolve("bad.json"), "{\n  \"a\": \n}");

        assertThatThrownBy(() -> RunInput.parse("@bad.json", dir, NO_STDIN)).hasMessageStartingWith("bad.json is not valid JSON").hasMessageContaining("line 3");
    }
}

package dev.crewship.cli.env;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class EnvCommandTest {
    @Test
    void parsesAssignmentsKeepingEqualsSignsInValues() {
        assertThat(EnvCommand.parse(List.of("OPENAI_API_KEY=sk-...", "URL=http://x/?a=b", "EMPTY=")))
                .containsExactly(java.util.Map.entry("OPENAI_API_KEY", "sk-..."), java.util.Map.entry("URL", "http://x/?a=b"), java.util.Map.entry("EMPTY", ""));
    }

    @Test
    void rejectsWhatIsNotNameEqualsValueWithoutEchoingValues() {
        assertThatThrownBy(() -> EnvCommand.parse(List.of("A=1", "OPENAI_API_KEY"))).hasMessageContaining("'OPENAI_API_KEY' is not NAME=value");
        assertThatThrownBy(() -> EnvCommand.parse(List.of("1BAD=secret"))).hasMessageContaining("'1BAD' is not a valid variable name")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("secret"));
    }
}

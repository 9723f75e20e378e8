package dev.crewship.cli.init;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crewship.cli.CliRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tomlj.Toml;
import org.tomlj.TomlParseResult;

class InitCommandTest {
    @TempDir
    Path crew;

    private CliRunner.Result init(String... extra) {
        String[] args = new String[extra.length + 1];
        args[0] = "init";
        System.arraycopy(extra, 0, args, 1, extra.length);
        return new CliRunner(crew, Map.of()).run(args);
    }

    @Test
    void writesACommentedCrewshipTomlWithTheDetectedEntrypoint() throws IOException {
        Files.createDirectories(crew.resolve("src/demo"));
        Files.writeString(crew.resolve("src/demo/crew.py"), "@CrewBase\nclass DemoCrew:\n    pass\n");
        Files.createDirectories(crew.resolve("tests"));

        CliRunner.Result result = init();

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).contains("demo.crew:DemoCrew");
        String text = Files.readString(crew.resolve("crewship.toml"));
        assertThat(text).contains("# ").contains("docs/crewship-toml.md");
        TomlParseResult toml = Toml.parse(text);
        assertThat(toml.errors()).isEmpty();
        assertThat(toml.getString("deployment.framework")).isEqualTo("crewai");
        assertThat(toml.getString("deployment.entrypoint")).isEqualTo("demo.crew:DemoCrew");
        assertThat(toml.getString("deployment.python")).isEqualTo("3.11");
        assertThat(toml.getArray("build.exclude").toList()).containsExactly("tests");
        assertThat(toml.contains("runtime")).as("runtime limits are only shown as comments").isFalse();
    }

    @Test
    void refusesToOverwriteAnExistingFile() throws IOException {
        Files.writeString(crew.resolve("main.py"), "def kickoff(inputs):\n    pass\n");
        Files.writeString(crew.resolve("crewship.toml"), "# mine\n");

        CliRunner.Result result = init();

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).startsWith("error: ").contains("already exists");
        assertThat(result.err().lines()).hasSize(1);
        assertThat(Files.readString(crew.resolve("crewship.toml"))).isEqualTo("# mine\n");
    }

    @Test
    void saysWhatItLookedForWhenItFindsNoEntrypoint() {
        CliRunner.Result result = init();

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).startsWith("error: found no crew entrypoint").contains("--entrypoint");
        assertThat(crew.resolve("crewship.toml")).doesNotExist();
    }

    @Test
    void takesAnExplicitEntrypointAndChecksItsShape() throws IOException {
        assertThat(init("--entrypoint", "not an entrypoint").exitCode()).isEqualTo(1);
        assertThat(crew.resolve("crewship.toml")).doesNotExist();

        CliRunner.Result result = init("--entrypoint", "app.crew:build");

        assertThat(result.exitCode()).isZero();
        assertThat(Toml.parse(crew.resolve("crewship.toml")).getString("deployment.entrypoint")).isEqualTo("app.crew:build");
        assertThat(Toml.parse(crew.resolve("crewship.toml")).getArray("build.exclude").isEmpty()).isTrue();
    }
}

package dev.crewship.executor.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.crewship.deployment.EnvironmentBuilder.BuildFailedException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RequirementsTest {

    @Test
    void commentsBlankLinesContinuationsAndOrderDoNotChangeTheRequirements() throws Exception {
        Requirements messy = Requirements.fromRequirementsTxt("""
                # tools
                requests>=2.31   # http
                crewai[tools] == 0.80.0 \\
                    ; python_version >= "3.10"

                six
                six
                pydantic --hash=sha256:0a1b2c
                """);
        Requirements tidy = Requirements.fromRequirementsTxt(
                "six\npydantic --hash=sha256:0a1b2c\ncrewai[tools] == 0.80.0 ; python_version >= \"3.10\"\nrequests>=2.31\n");

        assertThat(messy.lines()).containsExactly(
                "crewai[tools] == 0.80.0 ; python_version >= \"3.10\"", "pydantic --hash=sha256:0a1b2c", "requests>=2.31", "six");
        assertThat(messy).isEqualTo(tidy);
        assertThat(PythonEnvironmentBuilder.key("3.11", messy)).isEqualTo(PythonEnvironmentBuilder.key("3.11", tidy))
                .isNotEqualTo(PythonEnvironmentBuilder.key("3.12", tidy));
        assertThat(messy.source()).isEqualTo("requirements.txt");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "-e ../../etc                          | the option '-e' is not supported",
            "--index-url https://evil.example/simple | the option '--index-url' is not supported",
            "-r other.txt                          | the option '-r' is not supported",
            "-i https://x                          | the option '-i' is not supported",
            "./local-package                       | refers to a URL or a local path",
            "/abs/path                             | refers to a URL or a local path",
            "pkg @ https://example.com/pkg.whl     | refers to a URL or a local path",
            "git+https://github.com/a/b            | refers to a URL or a local path",
            "pkg @ file:///etc/passwd              | refers to a URL or a local path",
            "local.whl                             | refers to a local file",
            "six --global-option=--foo             | the option '--global-option' is not supported",
            "six && curl evil                      | is not a valid requirement"})
    void rejectsAnythingButPackagesFromTheIndex(String line, String reason) {
        assertThatThrownBy(() -> Requirements.fromRequirementsTxt("six\n" + line + "\n"))
                .isInstanceOf(BuildFailedException.class)
                .hasMessageStartingWith("requirements.txt line 2: ")
                .hasMessageContaining(reason);
    }

    @Test
    void pyprojectDependenciesAreUsedWhenThereIsNoRequirementsTxt(@TempDir Path source) throws Exception {
        Files.writeString(source.resolve("pyproject.toml"), "[project]\nname = \"crew\"\ndependencies = [\"six>=1.16\", \"requests\"]\n");
        assertThat(Requirements.read(source)).isEqualTo(new Requirements("pyproject.toml", java.util.List.of("requests", "six>=1.16")));

        Files.writeString(source.resolve("requirements.txt"), "six\n");
        assertThat(Requirements.read(source).lines()).containsExactly("six");
    }

    @Test
    void noDependencyFileMeansNoDependencies(@TempDir Path source) throws Exception {
        assertThat(Requirements.read(source)).isEqualTo(new Requirements("none", java.util.List.of()));
        Files.writeString(source.resolve("pyproject.toml"), "[project]\nname = \"crew\"\n");
        assertThat(Requirements.read(source).lines()).isEmpty();
    }

    @Test
    void brokenPyprojectAndLinkedFilesAreClearErrors(@TempDir Path source) throws Exception {
        Files.writeString(source.resolve("pyproject.toml"), "[project\ndependencies = 3\n");
        assertThatThrownBy(() -> Requirements.read(source)).hasMessageStartingWith("pyproject.toml is not valid TOML");

        Files.writeString(source.resolve("pyproject.toml"), "[project]\ndependencies = [1]\n");
        assertThatThrownBy(() -> Requirements.read(source)).hasMessageContaining("must be an array of strings");

        Files.createSymbolicLink(source.resolve("requirements.txt"), Path.of("/etc/passwd"));
        assertThatThrownBy(() -> Requirements.read(source))
                .isInstanceOf(BuildFailedException.class)
                .hasMessage("requirements.txt must be a regular file (not a link or a folder)");
    }
}

package dev.crewship.cli.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProjectChoiceTest {
    @TempDir
    Path tmp;

    private Path crewFolder(String name) throws IOException {
        Path folder = Files.createDirectories(tmp.resolve(name));
        Files.writeString(folder.resolve("crewship.toml"), "");
        return folder;
    }

    @Test
    void theFlagWinsThenTheEnvironmentThenTheCrewFolder() throws IOException {
        Path folder = crewFolder("research-crew");
        Map<String, String> env = Map.of("CREWSHIP_PROJECT", "from-env");

        assertThat(ProjectChoice.require("from-flag", env, folder)).isEqualTo(new ProjectChoice("from-flag", "--project"));
        assertThat(ProjectChoice.require(null, env, folder)).isEqualTo(new ProjectChoice("from-env", "CREWSHIP_PROJECT"));
        ProjectChoice fromFolder = ProjectChoice.require(null, Map.of(), folder);
        assertThat(fromFolder).isEqualTo(new ProjectChoice("research-crew", "the crew folder's name"));
        assertThat(fromFolder.describe()).isEqualTo("project research-crew (from the crew folder's name)");
        assertThat(fromFolder.fromFlag()).isFalse();
    }

    @Test
    void theFolderNameBecomesAValidProjectName() throws IOException {
        assertThat(ProjectChoice.require(null, Map.of(), crewFolder("Research_Crew v2")).name()).isEqualTo("research-crew-v2");
        assertThat(ProjectChoice.fromFolderName("__hello__")).isEqualTo("hello");
    }

    @Test
    void aFolderWithoutCrewshipTomlNamesNoProject() {
        assertThat(ProjectChoice.find(null, Map.of(), tmp)).isEmpty();
        assertThatThrownBy(() -> ProjectChoice.require(null, Map.of(), tmp))
                .hasMessageContaining("--project").hasMessageContaining("CREWSHIP_PROJECT").hasMessageContaining("crew folder");
    }

    @Test
    void aFolderNameThatCannotBeAProjectNameAsksForTheFlag() throws IOException {
        assertThatThrownBy(() -> ProjectChoice.require(null, Map.of(), crewFolder("x")))
                .hasMessageContaining("'x'").hasMessageContaining("--project");
    }

    @Test
    void explicitIgnoresTheFolder() {
        assertThat(ProjectChoice.explicit(null, Map.of())).isEmpty();
        assertThat(ProjectChoice.explicit(null, Map.of("CREWSHIP_PROJECT", "p-1"))).contains(new ProjectChoice("p-1", "CREWSHIP_PROJECT"));
    }
}

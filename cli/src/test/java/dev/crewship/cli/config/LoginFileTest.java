package dev.crewship.cli.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.crewship.cli.CliException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoginFileTest {
    @TempDir
    Path home;

    @Test
    void followsXdgConfigHomeElseDotConfig() {
        assertThat(LoginFile.locate(Map.of("XDG_CONFIG_HOME", "/xdg"), home).path()).isEqualTo(Path.of("/xdg/crewship/config.toml"));
        assertThat(LoginFile.locate(Map.of("XDG_CONFIG_HOME", "relative"), home).path()).isEqualTo(home.resolve(".config/crewship/config.toml"));
        assertThat(LoginFile.locate(Map.of(), home).path()).isEqualTo(home.resolve(".config/crewship/config.toml"));
    }

    @Test
    void writesAPrivateFileThatReadsBack() throws IOException {
        LoginFile file = LoginFile.locate(Map.of(), home);
        file.write(new LoginFile.StoredLogin("http://h:1", "csk_\"quoted\\key"));

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file.path()))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file.path().getParent()))).isEqualTo("rwx------");
        assertThat(file.read()).contains(new LoginFile.StoredLogin("http://h:1", "csk_\"quoted\\key"));

        file.write(new LoginFile.StoredLogin("http://other:2", "csk_2"));
        assertThat(file.read()).contains(new LoginFile.StoredLogin("http://other:2", "csk_2"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file.path()))).isEqualTo("rw-------");
        try (var files = Files.list(file.path().getParent())) {
            assertThat(files).as("no temporary files left").hasSize(1);
        }
    }

    @Test
    void noFileMeansNoLogin() {
        assertThat(LoginFile.locate(Map.of(), home).read()).isEmpty();
    }

    @Test
    void aBrokenFileIsReportedWithTheWayOut() throws IOException {
        LoginFile file = LoginFile.locate(Map.of(), home);
        Files.createDirectories(file.path().getParent());
        Files.writeString(file.path(), "url = \n");

        assertThatThrownBy(file::read).isInstanceOf(CliException.class).hasMessageContaining("not valid TOML").hasMessageContaining("crewship login");
    }

    @Test
    void controlCharactersAreEscapedInTomlStrings() {
        assertThat(LoginFile.tomlString("a\nb")).isEqualTo("\"a\\u000Ab\"");
    }
}

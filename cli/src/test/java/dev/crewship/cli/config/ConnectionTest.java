package dev.crewship.cli.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.crewship.cli.CliException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class ConnectionTest {
    private static final String LOGIN = "/home/u/.config/crewship/config.toml";

    private static Supplier<Optional<LoginFile.StoredLogin>> stored(String url, String key) {
        return () -> Optional.of(new LoginFile.StoredLogin(url, key));
    }

    private static final Supplier<Optional<LoginFile.StoredLogin>> NO_LOGIN = Optional::empty;

    @Test
    void flagsWinOverEnvironmentWhichWinsOverTheLogin() {
        Map<String, String> env = Map.of("CREWSHIP_URL", "http://env:1", "CREWSHIP_API_KEY", "csk_env");
        Supplier<Optional<LoginFile.StoredLogin>> login = stored("http://login:1", "csk_login");

        Connection flags = Connection.resolve("http://flag:1", "csk_flag", env, login, LOGIN);
        assertThat(flags.url()).isEqualTo(new Setting("http://flag:1", "--url"));
        assertThat(flags.apiKey()).isEqualTo(new Setting("csk_flag", "--api-key"));

        Connection fromEnv = Connection.resolve(null, null, env, login, LOGIN);
        assertThat(fromEnv.url()).isEqualTo(new Setting("http://env:1", "CREWSHIP_URL"));
        assertThat(fromEnv.apiKey()).isEqualTo(new Setting("csk_env", "CREWSHIP_API_KEY"));

        Connection fromLogin = Connection.resolve(null, null, Map.of(), login, LOGIN);
        assertThat(fromLogin.url()).isEqualTo(new Setting("http://login:1", LOGIN));
        assertThat(fromLogin.apiKey()).isEqualTo(new Setting("csk_login", LOGIN));
    }

    @Test
    void defaultsToTheLocalServerWithoutAKey() {
        Connection connection = Connection.resolve(null, null, Map.of(), NO_LOGIN, LOGIN);

        assertThat(connection.url()).isEqualTo(new Setting("http://127.0.0.1:8080", "the default"));
        assertThat(connection.apiKey()).isNull();
        assertThatThrownBy(connection::requireApiKey).isInstanceOf(CliException.class)
                .hasMessageContaining("--api-key").hasMessageContaining("CREWSHIP_API_KEY").hasMessageContaining("crewship login");
    }

    @Test
    void theLoginIsNotReadWhenFlagsAndEnvironmentSayEverything() {
        AtomicInteger reads = new AtomicInteger();
        Connection.resolve(null, "csk_flag", Map.of("CREWSHIP_URL", "http://env:1"), () -> {
            reads.incrementAndGet();
            return Optional.empty();
        }, LOGIN);

        assertThat(reads).hasValue(0);
    }

    @Test
    void theStoredKeyIsOnlySentToTheServerItWasStoredFor() {
        Supplier<Optional<LoginFile.StoredLogin>> login = stored("http://prod:8080/", "csk_prod");

        assertThat(Connection.resolve("http://elsewhere:1", null, Map.of(), login, LOGIN).apiKey()).isNull();
        assertThat(Connection.resolve("http://prod:8080", null, Map.of(), login, LOGIN).apiKey().value()).isEqualTo("csk_prod");
    }

    @Test
    void trailingSlashesAreDroppedAndBadUrlsNamed() {
        assertThat(Connection.resolve("http://h:1///", "k", Map.of(), NO_LOGIN, LOGIN).url().value()).isEqualTo("http://h:1");
        assertThatThrownBy(() -> Connection.resolve(null, "k", Map.of("CREWSHIP_URL", "localhost:8080"), NO_LOGIN, LOGIN))
                .hasMessage("invalid server URL 'localhost:8080' (from CREWSHIP_URL): expected something like http://127.0.0.1:8080");
    }

    @Test
    void blankValuesCountAsAbsent() {
        Connection connection = Connection.resolve(" ", "", Map.of("CREWSHIP_API_KEY", "csk_env"), NO_LOGIN, LOGIN);

        assertThat(connection.url().source()).isEqualTo("the default");
        assertThat(connection.apiKey().source()).isEqualTo("CREWSHIP_API_KEY");
    }
}

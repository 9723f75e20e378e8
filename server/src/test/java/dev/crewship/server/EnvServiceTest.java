package dev.crewship.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.crewship.auth.Principal;
import dev.crewship.common.Ids;
import dev.crewship.env.EnvService;
import dev.crewship.env.EnvVar;
import dev.crewship.env.SecretBox;
import dev.crewship.project.Project;
import dev.crewship.store.jdbc.JdbcStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The env service with a real SQLite store: what runs get, and what the database holds. */
class EnvServiceTest {
    private static final Principal ADMIN = new Principal("key_admin", null);

    @TempDir
    Path dir;
    private JdbcStore store;
    private EnvService env;
    private Project project;

    @BeforeEach
    void setUp() {
        store = JdbcStore.open("jdbc:sqlite:" + dir.resolve("crewship.db"));
        env = new EnvService(store, SecretBox.loadOrCreate(dir.resolve("secret.key")), Clock.systemUTC());
        project = store.projects().create(new Project(Ids.next(Ids.PROJECT), "env-service", null, Clock.systemUTC().instant()));
    }

    @AfterEach
    void tearDown() {
        store.close();
    }

    @Test
    void runsGetTheDecryptedValuesByName() {
        env.set(ADMIN, "env-service", Map.of("OPENAI_API_KEY", "sk-123456", "EMPTY", "", "UNICODE", "grüße 🚀"));

        assertThat(env.decrypted(project.id())).containsExactly(
                Map.entry("EMPTY", ""), Map.entry("OPENAI_API_KEY", "sk-123456"), Map.entry("UNICODE", "grüße 🚀"));
        assertThat(env.decrypted(Ids.next(Ids.PROJECT))).isEmpty();
    }

    @Test
    void theStoreHoldsOnlySealedValuesBoundToTheirRow() {
        env.set(ADMIN, "env-service", Map.of("A_SECRET", "value-of-a", "B_SECRET", "value-of-b"));
        List<EnvVar> stored = store.envVars().list(project.id());

        assertThat(stored).allSatisfy(variable -> assertThat(new String(variable.encryptedValue(), java.nio.charset.StandardCharsets.ISO_8859_1))
                .doesNotContain("value-of"));
        // A sealed value moved to another variable's row does not decrypt: it is bound to its project and name.
        store.envVars().putAll(List.of(new EnvVar(project.id(), "B_SECRET", stored.get(0).encryptedValue(), stored.get(0).updatedAt())));
        assertThatThrownBy(() -> env.decrypted(project.id())).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aProjectKeyOfAnotherProjectSeesNothing() {
        Principal stranger = new Principal("key_x", Ids.next(Ids.PROJECT));

        assertThatThrownBy(() -> env.set(stranger, "env-service", Map.of("A", "b"))).hasMessage("project env-service not found");
        assertThatThrownBy(() -> env.list(stranger, "env-service")).hasMessage("project env-service not found");
        assertThat(Files.exists(dir.resolve("secret.key"))).isTrue();
    }
}

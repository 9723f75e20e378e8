package dev.crewship.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crewship.common.Ids;
import dev.crewship.project.Project;
import dev.crewship.store.Store;
import dev.crewship.store.StoreContract;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store contract against a real PostgreSQL server (one fresh schema per test). */
class PostgresStoreTest extends StoreContract {
    @TempDir
    static Path folder;

    private static PostgresServer server;
    private String url;

    @BeforeAll
    static void startServer() throws Exception {
        server = PostgresServer.start(folder);
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Override
    protected Store newStore() {
        try {
            url = server.newEmptySchema();
            return JdbcStore.open(url);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    protected Store openSameDatabase() {
        return JdbcStore.open(url);
    }

    @Test
    void idsAndNamesSortByteByByteWhateverTheDatabaseCollation() {
        project("beta");
        project("Zeta");
        project("alpha");

        // Under the server's en-US collation "alpha" < "beta" < "Zeta"; the store promises binary order.
        assertThat(store.projects().list()).extracting(Project::name).containsExactly("Zeta", "alpha", "beta");
    }

    @Test
    void reopeningTheSameDatabaseKeepsDataAndSkipsMigrations() throws SQLException {
        String url = server.newEmptySchema();
        Project project = new Project(Ids.next(Ids.PROJECT), "kept", null, Instant.parse("2025-03-01T10:00:00Z"));
        try (JdbcStore first = JdbcStore.open(url)) {
            first.projects().create(project);
        }
        try (JdbcStore second = JdbcStore.open(url)) {
            assertThat(second.projects().list()).containsExactly(project);
        }
    }
}

package dev.crewship.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.crewship.common.Ids;
import dev.crewship.deployment.Deployment;
import dev.crewship.deployment.DeploymentConfig;
import dev.crewship.deployment.DeploymentStatus;
import dev.crewship.project.Project;
import dev.crewship.run.Run;
import dev.crewship.run.RunStatus;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What only a database file shows: durability across opens, migrations, pragmas, several writers on one file. */
class SqliteFileTest {
    private static final Instant T0 = Instant.parse("2025-03-01T10:00:00Z");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private String url() {
        return "jdbc:sqlite:" + dir.resolve("crewship.db");
    }

    @Test
    void dataSurvivesReopeningAndMigrationsRunOnce() throws SQLException {
        Project project = new Project(Ids.next(Ids.PROJECT), "crew", null, T0);
        try (JdbcStore store = JdbcStore.open(url())) {
            store.projects().create(project);
        }
        int migrations = count("SELECT COUNT(*) FROM flyway_schema_history WHERE success = 1");
        assertThat(migrations).isPositive();

        try (JdbcStore store = JdbcStore.open(url())) {
            assertThat(store.projects().findById(project.id())).contains(project);
        }
        try (JdbcStore store = JdbcStore.open(url())) {
            assertThat(store.projects().list()).containsExactly(project);
        }
        assertThat(count("SELECT COUNT(*) FROM flyway_schema_history")).isEqualTo(migrations);
    }

    @Test
    void theFileIsInWriteAheadLogMode() throws SQLException {
        try (JdbcStore store = JdbcStore.open(url())) {
            assertThat(store.projects().list()).isEmpty();
            try (Connection c = DriverManager.getConnection(url()); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("PRAGMA journal_mode")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualToIgnoringCase("wal");
            }
        }
    }

    @Test
    void twoStoresOnOneFileWriteConcurrentlyWithoutBusyErrors() throws Exception {
        try (JdbcStore first = JdbcStore.open(url()); JdbcStore second = JdbcStore.open(url())) {
            Project project = first.projects().create(new Project(Ids.next(Ids.PROJECT), "crew", null, T0));
            Deployment dep = first.deployments().create(new Deployment(Ids.next(Ids.DEPLOYMENT), project.id(), DeploymentStatus.BUILDING,
                    new DeploymentConfig("crewai", "main:crew", "3.11", List.of(), DeploymentConfig.DEFAULT_TIMEOUT,
                            DeploymentConfig.DEFAULT_MEMORY_MB, DeploymentConfig.DEFAULT_MAX_PROCESSES, DeploymentConfig.DEFAULT_CPU_TIME, false),
                    "00".repeat(32), null, null, T0, null));
            ExecutorService pool = Executors.newFixedThreadPool(6);
            try {
                List<Future<Integer>> writers = new ArrayList<>();
                for (int w = 0; w < 6; w++) {
                    JdbcStore store = w % 2 == 0 ? first : second;
                    writers.add(pool.submit(() -> {
                        int claimed = 0;
                        for (int i = 0; i < 30; i++) {
                            store.runs().create(new Run(Ids.next(Ids.RUN), project.id(), dep.id(), null, RunStatus.PENDING,
                                    JSON.createObjectNode(), null, null, null, null, T0, null, null));
                            claimed += store.runs().claimPending("node", 1, T0).size();
                        }
                        return claimed;
                    }));
                }
                int claimed = 0;
                for (Future<Integer> writer : writers) {
                    claimed += writer.get(60, TimeUnit.SECONDS);
                }
                claimed += second.runs().claimPending("node", 1000, T0).size();
                assertThat(claimed).isEqualTo(180);
            } finally {
                pool.shutdownNow();
            }
            assertThat(first.runs().usage(project.id()).runsByStatus()).containsEntry(RunStatus.RUNNING, 180L);
        }
    }

    @Test
    void anUnsupportedUrlIsRejectedWithoutEchoingIt() {
        assertThatThrownBy(() -> JdbcStore.open("jdbc:mysql://db/crewship?password=hunter2"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("jdbc:mysql:")
                .hasMessageNotContaining("hunter2");
    }

    private int count(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(url()); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }
}

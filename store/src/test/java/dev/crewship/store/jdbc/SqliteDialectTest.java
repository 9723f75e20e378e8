package dev.crewship.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteDialectTest {
    @TempDir
    Path dir;

    @Test
    void everyPooledConnectionGetsTheSettingsTheStoreReliesOn() throws SQLException {
        HikariConfig pool = new HikariConfig();
        pool.setJdbcUrl("jdbc:sqlite:" + dir.resolve("pragmas.db"));
        JdbcDialect dialect = JdbcDialect.forUrl(pool.getJdbcUrl());
        assertThat(dialect).isInstanceOf(SqliteDialect.class);
        dialect.configure(pool);

        try (HikariDataSource dataSource = new HikariDataSource(pool);
             Connection first = dataSource.getConnection();
             Connection second = dataSource.getConnection()) {
            for (Connection c : new Connection[] {first, second}) {
                assertThat(pragma(c, "journal_mode")).isEqualToIgnoringCase("wal");
                assertThat(pragma(c, "foreign_keys")).isEqualTo("1");
                assertThat(pragma(c, "synchronous")).as("NORMAL").isEqualTo("1");
                assertThat(pragma(c, "busy_timeout")).isEqualTo(Long.toString(SqliteDialect.BUSY_TIMEOUT.toMillis()));
            }
        }
    }

    @Test
    void theDialectFollowsTheUrlScheme() {
        assertThat(JdbcDialect.forUrl("jdbc:sqlite:/data/crewship.db")).isInstanceOf(SqliteDialect.class);
        assertThat(JdbcDialect.forUrl("jdbc:postgresql://localhost:5432/crewship")).isInstanceOf(PostgresDialect.class);
    }

    private static String pragma(Connection c, String name) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA " + name)) {
            rs.next();
            return rs.getString(1);
        }
    }
}

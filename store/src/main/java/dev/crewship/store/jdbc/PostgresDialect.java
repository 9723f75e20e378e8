package dev.crewship.store.jdbc;

import com.zaxxer.hikari.HikariConfig;
import java.util.Map;

/**
 * PostgreSQL: several server nodes may share one database, so claiming pending runs locks the
 * picked rows and skips rows another node is claiming. Ids and names use the "C" collation so that
 * they sort byte by byte exactly as in SQLite (ids are time-ordered only under that order).
 */
final class PostgresDialect implements JdbcDialect {
    static final int POOL_SIZE = 10;

    @Override
    public void configure(HikariConfig pool) {
        pool.setMaximumPoolSize(POOL_SIZE);
    }

    @Override
    public Map<String, String> schemaPlaceholders() {
        return Map.of("key_text", "TEXT COLLATE \"C\"", "bytes", "BYTEA");
    }

    @Override
    public String jsonTextField(String column, String parameter) {
        return "(CAST(" + column + " AS jsonb) ->> :" + parameter + ")";
    }

    @Override
    public String lockAndSkipClause() {
        return " FOR UPDATE SKIP LOCKED";
    }

    @Override
    public String lockRowClause() {
        return " FOR UPDATE";
    }
}

package dev.crewship.store.jdbc;

import com.zaxxer.hikari.HikariConfig;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Jdbi;
import org.sqlite.SQLiteException;

/**
 * SQLite: one file, one writer at a time, readers in parallel (WAL). Write transactions of this
 * process queue on a fair lock and then take SQLite's write lock up front ({@code BEGIN IMMEDIATE}),
 * so they never fail with {@code SQLITE_BUSY} half-way; the busy timeout only covers another
 * process writing to the same file. Claiming pending runs needs no row locks: the single writer
 * already makes each claim see the previous one.
 */
final class SqliteDialect implements JdbcDialect {
    /** Readers run in parallel; writers hold at most one of these connections at a time. */
    static final int POOL_SIZE = 8;
    /** How long a write waits for another process holding the file's write lock. */
    static final Duration BUSY_TIMEOUT = Duration.ofSeconds(30);

    private final ReentrantLock writeLock = new ReentrantLock(true);

    @Override
    public void configure(HikariConfig pool) {
        pool.setMaximumPoolSize(POOL_SIZE);
        // sqlite-jdbc applies these pragmas to every connection it opens.
        pool.addDataSourceProperty("journal_mode", "WAL");
        // With WAL, NORMAL loses no committed data on a crash of the process, only possibly the
        // last transactions on a power loss; it saves an fsync per commit.
        pool.addDataSourceProperty("synchronous", "NORMAL");
        pool.addDataSourceProperty("foreign_keys", "true");
        pool.addDataSourceProperty("busy_timeout", Long.toString(BUSY_TIMEOUT.toMillis()));
        pool.addDataSourceProperty("transaction_mode", "IMMEDIATE");
    }

    @Override
    public Map<String, String> schemaPlaceholders() {
        return Map.of("key_text", "TEXT", "bytes", "BLOB");
    }

    @Override
    public String jsonTextField(String column, String parameter) {
        return "json_extract(" + column + ", :" + parameter + ")";
    }

    /** A JSON path naming one top-level key, quoted so that any character of the key is taken literally. */
    @Override
    public Object jsonFieldKey(String key) {
        return "$.\"" + key.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    @Override
    public <T> T inWriteTransaction(Jdbi jdbi, HandleCallback<T, RuntimeException> work) {
        writeLock.lock();
        try {
            return jdbi.inTransaction(work);
        } finally {
            writeLock.unlock();
        }
    }

    @Override
    public Violation violation(SQLException e) {
        if (e instanceof SQLiteException sqlite) {
            return switch (sqlite.getResultCode()) {
                case SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_PRIMARYKEY -> Violation.UNIQUE;
                case SQLITE_CONSTRAINT_FOREIGNKEY -> Violation.FOREIGN_KEY;
                default -> Violation.NONE;
            };
        }
        return Violation.NONE;
    }
}

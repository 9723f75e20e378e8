package dev.crewship.store.jdbc;

import java.sql.SQLException;
import javax.sql.DataSource;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.TemplateEngine;

/** The shared access path of every JDBC store: parallel reads, serialized-as-needed write transactions. */
final class Database {
    private final Jdbi jdbi;
    private final JdbcDialect dialect;

    Database(DataSource dataSource, JdbcDialect dialect) {
        this.jdbi = Jdbi.create(dataSource);
        // SQL text is composed only from constants in this package; no templating of any kind.
        this.jdbi.setTemplateEngine(TemplateEngine.NOP);
        this.dialect = dialect;
    }

    /** Runs read-only work on a pooled connection in auto-commit mode (each statement sees committed data). */
    <T> T read(HandleCallback<T, RuntimeException> work) {
        return jdbi.withHandle(work);
    }

    /** Runs work in one write transaction: all of it happens, or none of it. */
    <T> T write(HandleCallback<T, RuntimeException> work) {
        return dialect.inWriteTransaction(jdbi, work);
    }

    /** Appended to a SELECT of one row to hold it; see {@link JdbcDialect#lockRowClause()}. */
    String lockRowClause() {
        return dialect.lockRowClause();
    }

    /** Appended to the SELECT that picks rows to claim; see {@link JdbcDialect#lockAndSkipClause()}. */
    String lockAndSkipClause() {
        return dialect.lockAndSkipClause();
    }

    /** See {@link JdbcDialect#jsonTextField}. */
    String jsonTextField(String column, String parameter) {
        return dialect.jsonTextField(column, parameter);
    }

    /** See {@link JdbcDialect#jsonFieldKey}. */
    Object jsonFieldKey(String key) {
        return dialect.jsonFieldKey(key);
    }

    /** Which constraint (if any) made {@code failure} happen. */
    JdbcDialect.Violation violationOf(RuntimeException failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql) {
                return dialect.violation(sql);
            }
        }
        return JdbcDialect.Violation.NONE;
    }
}

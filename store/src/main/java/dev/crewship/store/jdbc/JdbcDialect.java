package dev.crewship.store.jdbc;

import com.zaxxer.hikari.HikariConfig;
import java.sql.SQLException;
import java.util.Locale;
import java.util.Map;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.HandleCallback;

/**
 * What differs between the databases the JDBC store runs on. The SQL, the schema and the row
 * mapping are shared; a dialect overrides only what its database does differently: connection
 * settings, a few column types, lock-and-fetch, how write transactions are serialized and how a
 * constraint violation is recognized (the shape of db-scheduler's {@code JdbcCustomization}).
 */
interface JdbcDialect {

    /** Picks the dialect from the JDBC URL's scheme. */
    static JdbcDialect forUrl(String jdbcUrl) {
        String url = jdbcUrl.toLowerCase(Locale.ROOT);
        if (url.startsWith("jdbc:sqlite:")) {
            return new SqliteDialect();
        }
        if (url.startsWith("jdbc:postgresql:")) {
            return new PostgresDialect();
        }
        // Only the scheme is echoed: the rest of a URL may carry a password.
        int schemeEnd = jdbcUrl.indexOf(':', "jdbc:".length());
        String scheme = schemeEnd < 0 ? "(none)" : jdbcUrl.substring(0, schemeEnd + 1);
        throw new IllegalArgumentException(
                "unsupported database URL scheme " + scheme + "; use jdbc:sqlite:<file> or jdbc:postgresql://<host>/<database>");
    }

    /** Connection pool size and driver properties. */
    void configure(HikariConfig pool);

    /** Values of the {@code ${…}} placeholders in the shared migrations (column types that differ). */
    Map<String, String> schemaPlaceholders();

    /**
     * Appended to the {@code SELECT} that picks pending runs to claim. Empty by default: the
     * database serializes writers. PostgreSQL lets concurrent claimers skip each other's rows.
     */
    default String lockAndSkipClause() {
        return "";
    }

    /**
     * Appended to a {@code SELECT} of one row to hold it until the transaction ends, so that rows
     * referencing it (whose foreign key check needs a share lock on it) cannot be inserted meanwhile.
     * Empty by default: the database serializes writers. PostgreSQL locks the row.
     */
    default String lockRowClause() {
        return "";
    }

    /**
     * An SQL expression for the text of the top-level field of the JSON object in {@code column}
     * whose key is bound to {@code :parameter} as {@link #jsonFieldKey(String)}; null when absent.
     */
    String jsonTextField(String column, String parameter);

    /** The value to bind for a {@link #jsonTextField} key. */
    default Object jsonFieldKey(String key) {
        return key;
    }

    /** Runs {@code work} in one write transaction. */
    default <T> T inWriteTransaction(Jdbi jdbi, HandleCallback<T, RuntimeException> work) {
        return jdbi.inTransaction(work);
    }

    /** Which constraint a failed statement violated; by default read from the standard SQLSTATE. */
    default Violation violation(SQLException e) {
        String state = e.getSQLState();
        if ("23505".equals(state)) {
            return Violation.UNIQUE;
        }
        if ("23503".equals(state)) {
            return Violation.FOREIGN_KEY;
        }
        return Violation.NONE;
    }

    enum Violation { UNIQUE, FOREIGN_KEY, NONE }
}

package dev.crewship.store.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.crewship.artifact.ArtifactIndex;
import dev.crewship.auth.ApiKeyStore;
import dev.crewship.deployment.DeploymentStore;
import dev.crewship.env.EnvVarStore;
import dev.crewship.project.ProjectStore;
import dev.crewship.run.RunStore;
import dev.crewship.store.Store;
import dev.crewship.thread.ThreadStore;
import org.flywaydb.core.Flyway;

/**
 * The {@link Store} on a SQL database through JDBC: SQLite ({@code jdbc:sqlite:/data/crewship.db},
 * the default) or PostgreSQL ({@code jdbc:postgresql://host/db?user=…&password=…}, for several nodes
 * sharing one database). The SQL is shared; a {@link JdbcDialect} chosen from the URL supplies the
 * few parts that differ.
 */
public final class JdbcStore implements Store {
    /** A deployment's build log keeps at most this many characters; a notice replaces the rest. */
    public static final long MAX_BUILD_LOG_CHARS = 8_000_000;

    private static final String MIGRATIONS = "classpath:dev/crewship/store/jdbc/migration";

    private final HikariDataSource dataSource;
    private final ProjectStore projects;
    private final DeploymentStore deployments;
    private final RunStore runs;
    private final ThreadStore threads;
    private final ArtifactIndex artifacts;
    private final ApiKeyStore apiKeys;
    private final EnvVarStore envVars;

    private JdbcStore(HikariDataSource dataSource, JdbcDialect dialect) {
        this.dataSource = dataSource;
        Database db = new Database(dataSource, dialect);
        this.projects = new JdbcProjectStore(db);
        this.deployments = new JdbcDeploymentStore(db);
        this.runs = new JdbcRunStore(db);
        this.threads = new JdbcThreadStore(db);
        this.artifacts = new JdbcArtifactIndex(db);
        this.apiKeys = new JdbcApiKeyStore(db);
        this.envVars = new JdbcEnvVarStore(db);
    }

    /**
     * Connects to the database at {@code jdbcUrl} and brings its schema up to date (migrations that
     * already ran are skipped). For SQLite the file is created when missing; its folder must exist.
     *
     * @throws IllegalArgumentException when the URL names a database other than SQLite or PostgreSQL
     */
    public static JdbcStore open(String jdbcUrl) {
        JdbcDialect dialect = JdbcDialect.forUrl(jdbcUrl);
        HikariConfig pool = new HikariConfig();
        pool.setPoolName("crewship-store");
        pool.setJdbcUrl(jdbcUrl);
        dialect.configure(pool);
        HikariDataSource dataSource = new HikariDataSource(pool);
        try {
            Flyway.configure()
                    .dataSource(dataSource)
                    .locations(MIGRATIONS)
                    .placeholders(dialect.schemaPlaceholders())
                    .load()
                    .migrate();
            return new JdbcStore(dataSource, dialect);
        } catch (RuntimeException e) {
            dataSource.close();
            throw e;
        }
    }

    @Override
    public ProjectStore projects() {
        return projects;
    }

    @Override
    public DeploymentStore deployments() {
        return deployments;
    }

    @Override
    public RunStore runs() {
        return runs;
    }

    @Override
    public ThreadStore threads() {
        return threads;
    }

    @Override
    public ArtifactIndex artifacts() {
        return artifacts;
    }

    @Override
    public ApiKeyStore apiKeys() {
        return apiKeys;
    }

    @Override
    public EnvVarStore envVars() {
        return envVars;
    }

    @Override
    public void close() {
        dataSource.close();
    }
}

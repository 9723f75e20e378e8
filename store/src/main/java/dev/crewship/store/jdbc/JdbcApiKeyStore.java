package dev.crewship.store.jdbc;

import dev.crewship.auth.ApiKey;
import dev.crewship.auth.ApiKeyStore;
import dev.crewship.error.CrewshipException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.statement.StatementContext;

final class JdbcApiKeyStore implements ApiKeyStore {
    private static final String COLUMNS = "id, project_id, name, secret_hash, prefix, created_at, revoked_at";

    private final Database db;

    JdbcApiKeyStore(Database db) {
        this.db = db;
    }

    @Override
    public ApiKey create(ApiKey key) {
        ApiKey stored = new ApiKey(key.id(), key.projectId(), key.name(), key.secretHash(), key.prefix(),
                EpochMillis.truncate(key.createdAt()), EpochMillis.truncate(key.revokedAt()));
        try {
            db.write(h -> h.createUpdate("INSERT INTO api_keys (" + COLUMNS + ")"
                            + " VALUES (:id, :projectId, :name, :secretHash, :prefix, :createdAt, :revokedAt)")
                    .bind("id", stored.id())
                    .bind("projectId", stored.projectId())
                    .bind("name", stored.name())
                    .bind("secretHash", stored.secretHash())
                    .bind("prefix", stored.prefix())
                    .bind("createdAt", EpochMillis.of(stored.createdAt()))
                    .bind("revokedAt", EpochMillis.of(stored.revokedAt()))
                    .execute());
        } catch (RuntimeException e) {
            throw switch (db.violationOf(e)) {
                // Never echo the hash: it identifies a secret.
                case UNIQUE -> CrewshipException.conflict("api key " + key.id() + " already exists");
                case FOREIGN_KEY -> CrewshipException.notFound("project", key.projectId());
                case NONE -> e;
            };
        }
        return stored;
    }

    @Override
    public Optional<ApiKey> findBySecretHash(String secretHash) {
        return db.read(h -> h.createQuery("SELECT " + COLUMNS + " FROM api_keys WHERE secret_hash = :secretHash")
                .bind("secretHash", secretHash)
                .map(JdbcApiKeyStore::map)
                .findOne());
    }

    @Override
    public Optional<ApiKey> findById(String id) {
        return db.read(h -> h.createQuery("SELECT " + COLUMNS + " FROM api_keys WHERE id = :id")
                .bind("id", id)
                .map(JdbcApiKeyStore::map)
                .findOne());
    }

    @Override
    public List<ApiKey> list(String projectId) {
        if (projectId == null) {
            return db.read(h -> h.createQuery("SELECT " + COLUMNS + " FROM api_keys ORDER BY id DESC")
                    .map(JdbcApiKeyStore::map)
                    .list());
        }
        return db.read(h -> h.createQuery("SELECT " + COLUMNS + " FROM api_keys WHERE project_id = :projectId ORDER BY id DESC")
                .bind("projectId", projectId)
                .map(JdbcApiKeyStore::map)
                .list());
    }

    @Override
    public boolean revoke(String id, Instant at) {
        return db.write(h -> h.createUpdate("UPDATE api_keys SET revoked_at = :at WHERE id = :id AND revoked_at IS NULL")
                .bind("id", id)
                .bind("at", EpochMillis.of(at))
                .execute()) == 1;
    }

    /** Only a usable (not revoked) admin key counts, so a server whose admin keys were all revoked can mint a new one on start. */
    @Override
    public boolean hasAdminKey() {
        return db.read(h -> h.createQuery("SELECT 1 FROM api_keys WHERE project_id IS NULL AND revoked_at IS NULL LIMIT 1")
                .mapTo(Integer.class)
                .findOne()
                .isPresent());
    }

    private static ApiKey map(ResultSet rs, StatementContext ctx) throws SQLException {
        return new ApiKey(rs.getString("id"), rs.getString("project_id"), rs.getString("name"), rs.getString("secret_hash"),
                rs.getString("prefix"), EpochMillis.read(rs, "created_at"), EpochMillis.read(rs, "revoked_at"));
    }
}

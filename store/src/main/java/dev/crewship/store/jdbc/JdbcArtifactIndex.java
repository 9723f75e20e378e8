package dev.crewship.store.jdbc;

import dev.crewship.artifact.Artifact;
import dev.crewship.artifact.ArtifactIndex;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.statement.StatementContext;

final class JdbcArtifactIndex implements ArtifactIndex {
    private static final String SELECT = "SELECT run_id, name, size, content_type, sha256, created_at FROM artifacts";

    private final Database db;

    JdbcArtifactIndex(Database db) {
        this.db = db;
    }

    @Override
    public List<Artifact> list(String runId) {
        return db.read(h -> h.createQuery(SELECT + " WHERE run_id = :runId ORDER BY name")
                .bind("runId", runId)
                .map(JdbcArtifactIndex::map)
                .list());
    }

    @Override
    public Optional<Artifact> find(String runId, String name) {
        return db.read(h -> h.createQuery(SELECT + " WHERE run_id = :runId AND name = :name")
                .bind("runId", runId)
                .bind("name", name)
                .map(JdbcArtifactIndex::map)
                .findOne());
    }

    private static Artifact map(ResultSet rs, StatementContext ctx) throws SQLException {
        return new Artifact(rs.getString("run_id"), rs.getString("name"), rs.getLong("size"), rs.getString("content_type"),
                rs.getString("sha256"), EpochMillis.read(rs, "created_at"));
    }
}

package dev.crewship.store.jdbc;

import dev.crewship.env.EnvVar;
import dev.crewship.env.EnvVarStore;
import dev.crewship.error.CrewshipException;
import java.util.Collection;
import java.util.List;
import org.jdbi.v3.core.statement.PreparedBatch;

final class JdbcEnvVarStore implements EnvVarStore {
    private final Database db;

    JdbcEnvVarStore(Database db) {
        this.db = db;
    }

    @Override
    public void putAll(Collection<EnvVar> vars) {
        if (vars.isEmpty()) {
            return;
        }
        try {
            db.write(h -> {
                PreparedBatch batch = h.prepareBatch("INSERT INTO env_vars (project_id, name, value, updated_at)"
                        + " VALUES (:projectId, :name, :value, :updatedAt)"
                        + " ON CONFLICT (project_id, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at");
                for (EnvVar v : vars) {
                    batch.bind("projectId", v.projectId())
                            .bind("name", v.name())
                            .bind("value", v.encryptedValue())
                            .bind("updatedAt", EpochMillis.of(v.updatedAt()))
                            .add();
                }
                return batch.execute();
            });
        } catch (RuntimeException e) {
            if (db.violationOf(e) == JdbcDialect.Violation.FOREIGN_KEY) {
                throw CrewshipException.notFound("project", vars.iterator().next().projectId());
            }
            throw e;
        }
    }

    @Override
    public List<EnvVar> list(String projectId) {
        return db.read(h -> h.createQuery("SELECT project_id, name, value, updated_at FROM env_vars WHERE project_id = :projectId ORDER BY name")
                .bind("projectId", projectId)
                .map((rs, ctx) -> new EnvVar(rs.getString("project_id"), rs.getString("name"), rs.getBytes("value"),
                        EpochMillis.read(rs, "updated_at")))
                .list());
    }

    @Override
    public boolean delete(String projectId, String name) {
        return db.write(h -> h.createUpdate("DELETE FROM env_vars WHERE project_id = :projectId AND name = :name")
                .bind("projectId", projectId)
                .bind("name", name)
                .execute()) == 1;
    }
}

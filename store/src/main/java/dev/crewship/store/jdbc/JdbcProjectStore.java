package dev.crewship.store.jdbc;

import dev.crewship.error.CrewshipException;
import dev.crewship.project.Project;
import dev.crewship.project.ProjectStore;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.statement.StatementContext;

final class JdbcProjectStore implements ProjectStore {
    private static final String COLUMNS = "id, name, current_deployment_id, created_at";

    private final Database db;

    JdbcProjectStore(Database db) {
        this.db = db;
    }

    @Override
    public Project create(Project project) {
        Project stored = new Project(project.id(), project.name(), project.currentDeploymentId(), EpochMillis.truncate(project.createdAt()));
        try {
            db.write(h -> h.createUpdate("INSERT INTO projects (" + COLUMNS + ") VALUES (:id, :name, :currentDeploymentId, :createdAt)")
                    .bind("id", stored.id())
                    .bind("name", stored.name())
                    .bind("currentDeploymentId", stored.currentDeploymentId())
                    .bind("createdAt", EpochMillis.of(stored.createdAt()))
                    .execute());
        } catch (RuntimeException e) {
            if (db.violationOf(e) == JdbcDialect.Violation.UNIQUE) {
                throw CrewshipException.conflict("a project named '" + project.name() + "' already exists");
            }
            throw e;
        }
        return stored;
    }

    @Override
    public Optional<Project> findById(String id) {
        return db.read(h -> h.createQuery("SELECT " + COLUMNS + " FROM projects WHERE id = :id")
                .bind("id", id)
                .map(JdbcProjectStore::map)
                .findOne());
    }

    @Override
    public Optional<Project> findByName(String name) {
        return db.read(h -> h.createQuery("SELECT " + COLUMNS + " FROM projects WHERE name = :name")
                .bind("name", name)
                .map(JdbcProjectStore::map)
                .findOne());
    }

    @Override
    public List<Project> list() {
        return db.read(h -> h.createQuery("SELECT " + COLUMNS + " FROM projects ORDER BY name")
                .map(JdbcProjectStore::map)
                .list());
    }

    @Override
    public boolean setCurrentDeployment(String projectId, String deploymentId) {
        // One statement: the check that the deployment is ready and this project's cannot go stale
        // between reading and writing.
        return db.write(h -> h.createUpdate("""
                        UPDATE projects SET current_deployment_id = :deploymentId
                        WHERE id = :projectId
                          AND EXISTS (SELECT 1 FROM deployments
                                      WHERE id = :deploymentId AND project_id = :projectId AND status = 'ready')""")
                .bind("projectId", projectId)
                .bind("deploymentId", deploymentId)
                .execute()) == 1;
    }

    @Override
    public boolean delete(String projectId) {
        // Deployments, build logs, runs, events, artifacts, env vars and keys go with it (ON DELETE CASCADE).
        // The check for unfinished work is part of the DELETE, in the transaction that holds the project
        // row: a run or deployment inserted meanwhile needs that row for its foreign key, so it is either
        // seen here or inserted after the project is gone (and refused). A check made before the delete
        // could pass while a run is being created and then delete that run, acknowledged but never executed.
        return db.write(h -> {
            h.createQuery("SELECT id FROM projects WHERE id = :id" + db.lockRowClause()).bind("id", projectId).mapTo(String.class).findOne();
            return h.createUpdate("""
                            DELETE FROM projects WHERE id = :id
                              AND NOT EXISTS (SELECT 1 FROM runs WHERE project_id = :id AND status IN ('pending', 'running'))
                              AND NOT EXISTS (SELECT 1 FROM deployments WHERE project_id = :id AND status = 'building')""")
                    .bind("id", projectId)
                    .execute() == 1;
        });
    }

    private static Project map(ResultSet rs, StatementContext ctx) throws SQLException {
        return new Project(rs.getString("id"), rs.getString("name"), rs.getString("current_deployment_id"), EpochMillis.read(rs, "created_at"));
    }
}

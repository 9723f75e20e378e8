package dev.crewship.store.jdbc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.crewship.common.Page;
import dev.crewship.common.PageRequest;
import dev.crewship.deployment.Deployment;
import dev.crewship.deployment.DeploymentConfig;
import dev.crewship.deployment.DeploymentStatus;
import dev.crewship.deployment.DeploymentStore;
import dev.crewship.error.CrewshipException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.Query;
import org.jdbi.v3.core.statement.StatementContext;

final class JdbcDeploymentStore implements DeploymentStore {
    private static final String COLUMNS =
            "id, project_id, status, config, source_sha256, environment_key, error, created_at, ready_at";
    /** Closes a build log that reached {@link JdbcStore#MAX_BUILD_LOG_CHARS}; what follows is dropped. */
    static final String BUILD_LOG_TRUNCATED = "\n[build log truncated: it exceeded " + JdbcStore.MAX_BUILD_LOG_CHARS + " characters]\n";

    private final Database db;

    JdbcDeploymentStore(Database db) {
        this.db = db;
    }

    @Override
    public Deployment create(Deployment d) {
        Deployment stored = new Deployment(d.id(), d.projectId(), d.status(), d.config(), d.sourceSha256(), d.environmentKey(),
                d.error(), EpochMillis.truncate(d.createdAt()), EpochMillis.truncate(d.readyAt()));
        try {
            db.write(h -> h.createUpdate("INSERT INTO deployments (" + COLUMNS + ")"
                            + " VALUES (:id, :projectId, :status, :config, :sourceSha256, :environmentKey, :error, :createdAt, :readyAt)")
                    .bind("id", stored.id())
                    .bind("projectId", stored.projectId())
                    .bind("status", stored.status().wire())
                    .bind("config", writeConfig(stored.config()))
                    .bind("sourceSha256", stored.sourceSha256())
                    .bind("environmentKey", stored.environmentKey())
                    .bind("error", stored.error())
                    .bind("createdAt", EpochMillis.of(stored.createdAt()))
                    .bind("readyAt", EpochMillis.of(stored.readyAt()))
                    .execute());
        } catch (RuntimeException e) {
            throw switch (db.violationOf(e)) {
                case UNIQUE -> CrewshipException.conflict("deployment " + d.id() + " already exists");
                case FOREIGN_KEY -> CrewshipException.notFound("project", d.projectId());
                case NONE -> e;
            };
        }
        return stored;
    }

    @Override
    public Optional<Deployment> findById(String id) {
        return db.read(h -> h.createQuery("SELECT " + COLUMNS + " FROM deployments WHERE id = :id")
                .bind("id", id)
                .map(JdbcDeploymentStore::map)
                .findOne());
    }

    @Override
    public Page<Deployment> list(String projectId, PageRequest page) {
        // Without a cursor, "id < :startingAfter" would compare with NULL and match nothing.
        String after = page.startingAfter() == null ? "" : " AND id < :startingAfter";
        List<Deployment> rows = db.read(h -> {
            Query query = h.createQuery("SELECT " + COLUMNS + " FROM deployments"
                            + " WHERE project_id = :projectId" + after + " ORDER BY id DESC LIMIT :limit")
                    .bind("projectId", projectId)
                    .bind("limit", page.limit() + 1);
            if (page.startingAfter() != null) {
                query.bind("startingAfter", page.startingAfter());
            }
            return query.map(JdbcDeploymentStore::map).list();
        });
        return Page.of(rows, page.limit(), Deployment::id);
    }

    @Override
    public boolean markReady(String id, String environmentKey, Instant at) {
        return db.write(h -> {
            int updated = h.createUpdate(
                            "UPDATE deployments SET status = 'ready', environment_key = :environmentKey, ready_at = :at"
                                    + " WHERE id = :id AND status = 'building'")
                    .bind("id", id)
                    .bind("environmentKey", environmentKey)
                    .bind("at", EpochMillis.of(at))
                    .execute();
            if (updated != 1) {
                return false;
            }
            String projectId = h.createQuery("SELECT project_id FROM deployments WHERE id = :id")
                    .bind("id", id).mapTo(String.class).one();
            // Current unless a newer deployment (ids sort by creation time) already is. Compared here, not
            // in SQL (a database's collation may order mixed-case ids differently), and written only if
            // the current deployment is still the one compared against: otherwise read again.
            while (true) {
                String current = h.createQuery("SELECT current_deployment_id FROM projects WHERE id = :projectId")
                        .bind("projectId", projectId).mapTo(String.class).findOne().orElse(null);
                if (current != null && current.compareTo(id) >= 0) {
                    return true;
                }
                int moved = h.createUpdate("UPDATE projects SET current_deployment_id = :id WHERE id = :projectId AND "
                                + (current == null ? "current_deployment_id IS NULL" : "current_deployment_id = :seen"))
                        .bind("id", id)
                        .bind("projectId", projectId)
                        .bind("seen", current)
                        .execute();
                if (moved == 1) {
                    return true;
                }
            }
        });
    }

    @Override
    public boolean markFailed(String id, String error, Instant at) {
        return db.write(h -> h.createUpdate(
                        "UPDATE deployments SET status = 'failed', error = :error, failed_at = :at WHERE id = :id AND status = 'building'")
                .bind("id", id)
                .bind("error", error)
                .bind("at", EpochMillis.of(at))
                .execute()) == 1;
    }

    @Override
    public void appendBuildLog(String id, String text) {
        if (text.isEmpty()) {
            return;
        }
        db.write(h -> {
            long length = h.createQuery("SELECT build_log_length FROM deployments WHERE id = :id")
                    .bind("id", id)
                    .mapTo(Long.class)
                    .findOne()
                    .orElseThrow(() -> CrewshipException.notFound("deployment", id));
            String chunk = fitToLimit(length, text);
            return chunk.isEmpty() ? 0 : appendChunk(h, id, chunk);
        });
    }

    /** The part of {@code text} that still fits, plus the truncation notice when this chunk fills the log. */
    private static String fitToLimit(long length, String text) {
        long room = JdbcStore.MAX_BUILD_LOG_CHARS - length;
        if (room <= 0) {
            return "";
        }
        if (text.length() <= room) {
            return text;
        }
        int cut = (int) room;
        if (Character.isHighSurrogate(text.charAt(cut - 1))) {
            cut--;
        }
        return text.substring(0, cut) + BUILD_LOG_TRUNCATED;
    }

    private static int appendChunk(Handle h, String id, String chunk) {
        // The new length comes from the row update itself, so concurrent appends get disjoint offsets.
        long end = h.createQuery("UPDATE deployments SET build_log_length = build_log_length + :length"
                        + " WHERE id = :id RETURNING build_log_length")
                .bind("id", id)
                .bind("length", (long) chunk.length())
                .mapTo(Long.class)
                .one();
        return h.createUpdate("INSERT INTO deployment_build_log (deployment_id, start_offset, end_offset, text)"
                        + " VALUES (:id, :start, :end, :text)")
                .bind("id", id)
                .bind("start", end - chunk.length())
                .bind("end", end)
                .bind("text", chunk)
                .execute();
    }

    @Override
    public String buildLog(String id, long offset) {
        record Chunk(long start, String text) {
        }
        List<Chunk> chunks = db.read(h -> h.createQuery("SELECT start_offset, text FROM deployment_build_log"
                        + " WHERE deployment_id = :id AND end_offset > :offset ORDER BY start_offset")
                .bind("id", id)
                .bind("offset", offset)
                .map((rs, ctx) -> new Chunk(rs.getLong("start_offset"), rs.getString("text")))
                .list());
        StringBuilder log = new StringBuilder();
        for (Chunk chunk : chunks) {
            log.append(chunk.text(), (int) Math.max(0, offset - chunk.start()), chunk.text().length());
        }
        return log.toString();
    }

    @Override
    public List<String> listBuilding() {
        return db.read(h -> h.createQuery("SELECT id FROM deployments WHERE status = 'building' ORDER BY id")
                .mapTo(String.class)
                .list());
    }

    private static Deployment map(ResultSet rs, StatementContext ctx) throws SQLException {
        return new Deployment(
                rs.getString("id"),
                rs.getString("project_id"),
                DeploymentStatus.valueOf(rs.getString("status").toUpperCase(Locale.ROOT)),
                readConfig(rs.getString("config")),
                rs.getString("source_sha256"),
                rs.getString("environment_key"),
                rs.getString("error"),
                EpochMillis.read(rs, "created_at"),
                EpochMillis.read(rs, "ready_at"));
    }

    /**
     * The configuration is stored in a shape of our own (snake_case, durations in milliseconds)
     * rather than whatever Jackson makes of the record, so that stored rows stay readable when the
     * record changes.
     */
    private static String writeConfig(DeploymentConfig config) {
        ObjectNode node = JsonColumns.object();
        node.put("framework", config.framework());
        node.put("entrypoint", config.entrypoint());
        node.put("python", config.python());
        ArrayNode exclude = node.putArray("build_exclude");
        config.buildExclude().forEach(exclude::add);
        node.put("timeout_ms", millis(config.timeout()));
        node.put("memory_mb", config.memoryMb());
        node.put("max_processes", config.maxProcesses());
        node.put("cpu_time_ms", millis(config.cpuTime()));
        node.put("network", config.network());
        node.put("llm_tokens", config.llmTokens());
        return JsonColumns.write(node);
    }

    private static DeploymentConfig readConfig(String text) {
        JsonNode node = JsonColumns.read(text);
        List<String> exclude = new ArrayList<>();
        node.path("build_exclude").forEach(pattern -> exclude.add(pattern.asText()));
        return new DeploymentConfig(
                JsonColumns.text(node, "framework"),
                JsonColumns.text(node, "entrypoint"),
                JsonColumns.text(node, "python"),
                exclude,
                duration(node.get("timeout_ms")),
                node.path("memory_mb").asLong(),
                node.path("max_processes").asInt(),
                duration(node.get("cpu_time_ms")),
                node.path("network").asBoolean(),
                node.path("llm_tokens").asBoolean(false)); // absent in rows written before the key existed
    }

    private static Long millis(Duration duration) {
        return duration == null ? null : duration.toMillis();
    }

    private static Duration duration(JsonNode millis) {
        return millis == null || millis.isNull() ? null : Duration.ofMillis(millis.asLong());
    }
}

package dev.crewship.store.jdbc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.crewship.common.Ids;
import dev.crewship.common.Page;
import dev.crewship.common.PageRequest;
import dev.crewship.error.CrewshipException;
import dev.crewship.error.ProblemType;
import dev.crewship.run.Run;
import dev.crewship.run.RunCompletion;
import dev.crewship.run.RunStatus;
import dev.crewship.thread.Checkpoint;
import dev.crewship.thread.CrewThread;
import dev.crewship.thread.ThreadBusyException;
import dev.crewship.thread.ThreadQuery;
import dev.crewship.thread.ThreadStatus;
import dev.crewship.thread.ThreadStore;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.StatementContext;

/**
 * Threads and checkpoints. The one-run-at-a-time rule is a conditional update of the thread row
 * ({@code SET active_run_id = :run WHERE active_run_id IS NULL}) in the transaction that inserts the
 * run: PostgreSQL serializes concurrent updaters on the row lock and re-checks the condition after
 * the winner commits; SQLite has one writer. Either way exactly one claim of an idle thread wins,
 * whichever server process makes it. The thread is released in the transaction that finishes its
 * active run ({@link #release}), so a thread is busy exactly while its active run is unfinished.
 */
final class JdbcThreadStore implements ThreadStore {
    private static final String COLUMNS = "id, project_id, deployment_id, status, state_values, metadata, active_run_id,"
            + " checkpoint_id, created_at, updated_at";
    private static final String CHECKPOINT_COLUMNS = "id, thread_id, run_id, parent_id, state_values, created_at";

    private final Database db;

    JdbcThreadStore(Database db) {
        this.db = db;
    }

    @Override
    public CrewThread create(CrewThread thread) {
        CrewThread stored = stored(thread);
        try {
            db.write(h -> {
                insert(h, stored);
                return null;
            });
        } catch (RuntimeException e) {
            throw translate(e, thread);
        }
        return stored;
    }

    @Override
    public CrewThread fork(CrewThread thread, Checkpoint source, String checkpointId) {
        CrewThread stored = stored(new CrewThread(thread.id(), thread.projectId(), thread.deploymentId(), thread.status(),
                source.values(), thread.metadata(), null, checkpointId, thread.createdAt(), thread.updatedAt()));
        try {
            db.write(h -> {
                insert(h, stored);
                insertCheckpoint(h, new Checkpoint(checkpointId, stored.id(), null, source.id(), source.values(), stored.createdAt()));
                return null;
            });
        } catch (RuntimeException e) {
            throw translate(e, thread);
        }
        return stored;
    }

    private RuntimeException translate(RuntimeException e, CrewThread thread) {
        return switch (db.violationOf(e)) {
            case UNIQUE -> CrewshipException.conflict("thread " + thread.id() + " already exists");
            case FOREIGN_KEY -> new CrewshipException(ProblemType.NOT_FOUND,
                    "project " + thread.projectId() + " or deployment " + thread.deploymentId() + " not found");
            case NONE -> e;
        };
    }

    private static CrewThread stored(CrewThread thread) {
        if (thread.status() != ThreadStatus.IDLE || thread.activeRunId() != null) {
            throw new IllegalArgumentException("a new thread is idle");
        }
        return new CrewThread(thread.id(), thread.projectId(), thread.deploymentId(), thread.status(), thread.values(),
                thread.metadata(), null, thread.checkpointId(), EpochMillis.truncate(thread.createdAt()),
                EpochMillis.truncate(thread.updatedAt()));
    }

    private static void insert(Handle h, CrewThread t) {
        h.createUpdate("INSERT INTO threads (" + COLUMNS + ") VALUES (:id, :projectId, :deploymentId, :status, :values, :metadata,"
                        + " NULL, :checkpointId, :createdAt, :updatedAt)")
                .bind("id", t.id())
                .bind("projectId", t.projectId())
                .bind("deploymentId", t.deploymentId())
                .bind("status", t.status().wire())
                .bind("values", JsonColumns.write(t.values()))
                .bind("metadata", JsonColumns.write(t.metadata()))
                .bind("checkpointId", t.checkpointId())
                .bind("createdAt", EpochMillis.of(t.createdAt()))
                .bind("updatedAt", EpochMillis.of(t.updatedAt()))
                .execute();
    }

    @Override
    public Optional<CrewThread> findById(String id) {
        return db.read(h -> find(h, id));
    }

    private static Optional<CrewThread> find(Handle h, String id) {
        return h.createQuery("SELECT " + COLUMNS + " FROM threads WHERE id = :id")
                .bind("id", id)
                .map(JdbcThreadStore::map)
                .findOne();
    }

    @Override
    public Page<CrewThread> list(ThreadQuery query, PageRequest page) {
        List<String> conditions = new ArrayList<>();
        Map<String, Object> values = new HashMap<>();
        if (query.projectId() != null) {
            conditions.add("project_id = :projectId");
            values.put("projectId", query.projectId());
        }
        if (query.deploymentId() != null) {
            conditions.add("deployment_id = :deploymentId");
            values.put("deploymentId", query.deploymentId());
        }
        if (query.status() != null) {
            conditions.add("status = :status");
            values.put("status", query.status().wire());
        }
        int i = 0;
        // Sorted, so the same filter always makes the same SQL text.
        for (Map.Entry<String, String> entry : new TreeMap<>(query.metadata()).entrySet()) {
            String key = "metaKey" + i;
            String value = "metaValue" + i++;
            conditions.add(db.jsonTextField("metadata", key) + " = :" + value);
            values.put(key, db.jsonFieldKey(entry.getKey()));
            values.put(value, entry.getValue());
        }
        if (page.startingAfter() != null) {
            conditions.add("id < :startingAfter");
            values.put("startingAfter", page.startingAfter());
        }
        String where = conditions.isEmpty() ? "" : " WHERE " + String.join(" AND ", conditions);
        List<CrewThread> rows = db.read(h -> h.createQuery("SELECT " + COLUMNS + " FROM threads" + where + " ORDER BY id DESC LIMIT :limit")
                .bindMap(values)
                .bind("limit", page.limit() + 1)
                .map(JdbcThreadStore::map)
                .list());
        return Page.of(rows, page.limit(), CrewThread::id);
    }

    @Override
    public void delete(String id) {
        db.write(h -> {
            int deleted = h.createUpdate("DELETE FROM threads WHERE id = :id AND active_run_id IS NULL").bind("id", id).execute();
            if (deleted == 0) {
                CrewThread thread = find(h, id).orElseThrow(() -> CrewshipException.notFound("thread", id));
                throw new ThreadBusyException(id, thread.activeRunId(), "cancel it or wait for it before deleting the thread");
            }
            return null;
        });
    }

    @Override
    public Run createRun(Run run, boolean enqueue) {
        if (run.threadId() == null) {
            throw new IllegalArgumentException("a thread's run needs its thread id");
        }
        Run stored = JdbcRunStore.stored(run);
        try {
            return db.write(h -> {
                insertClaiming(h, stored, enqueue);
                return stored;
            });
        } catch (CrewshipException e) {
            throw e;
        } catch (RuntimeException e) {
            throw switch (db.violationOf(e)) {
                case UNIQUE -> CrewshipException.conflict("run " + run.id() + " already exists");
                case FOREIGN_KEY -> new CrewshipException(ProblemType.NOT_FOUND,
                        "project " + run.projectId() + " or deployment " + run.deploymentId() + " not found");
                case NONE -> e;
            };
        }
    }

    /**
     * Claims the thread for the run, or queues the run behind the active one. Every path that
     * writes the run holds the thread row's lock first (an UPDATE that matched it), as does
     * {@link #release}: a run is never queued behind a run whose release has already looked for the
     * next queued run. A thread released between two statements here is claimed on the next turn.
     */
    private static void insertClaiming(Handle h, Run run, boolean enqueue) {
        for (int attempt = 0; attempt < 3; attempt++) {
            int claimed = h.createUpdate("UPDATE threads SET status = 'busy', active_run_id = :runId, updated_at = :at"
                            + " WHERE id = :threadId AND active_run_id IS NULL")
                    .bind("runId", run.id())
                    .bind("at", EpochMillis.of(run.createdAt()))
                    .bind("threadId", run.threadId())
                    .execute();
            if (claimed == 1) {
                JdbcRunStore.insert(h, run);
                return;
            }
            if (enqueue) {
                int held = h.createUpdate("UPDATE threads SET updated_at = updated_at WHERE id = :threadId AND active_run_id IS NOT NULL")
                        .bind("threadId", run.threadId())
                        .execute();
                if (held == 1) {
                    JdbcRunStore.insert(h, run);
                    return;
                }
            }
            CrewThread thread = find(h, run.threadId()).orElseThrow(() -> CrewshipException.notFound("thread", run.threadId()));
            if (!enqueue && thread.activeRunId() != null) {
                throw new ThreadBusyException(thread.id(), thread.activeRunId(),
                        "wait for it, cancel it, or send \"multitask_strategy\": \"enqueue\" to queue this run behind it");
            }
        }
        throw new IllegalStateException("thread " + run.threadId() + " changed hands three times while run " + run.id() + " was created");
    }

    /**
     * Part of {@link JdbcRunStore#finish}'s transaction when the finished run belongs to a thread.
     * Only the thread's active run touches it (a queued run that is canceled leaves it alone): a
     * success stores the new values with a checkpoint; every outcome hands the thread to the oldest
     * queued run of it, or makes it idle ({@code error} when the new values were rejected).
     */
    static void release(Handle h, Run run, RunCompletion completion) {
        // Lock the thread row before looking for the next queued run (see insertClaiming).
        int held = h.createUpdate("UPDATE threads SET updated_at = updated_at WHERE id = :threadId AND active_run_id = :runId")
                .bind("threadId", run.threadId())
                .bind("runId", run.id())
                .execute();
        if (held == 0) {
            return;
        }
        CrewThread thread = find(h, run.threadId()).orElseThrow();
        JsonNode values = thread.values();
        String checkpointId = thread.checkpointId();
        if (completion.status() == RunStatus.SUCCEEDED) {
            if (completion.values() != null) {
                values = completion.values();
            }
            checkpointId = nextCheckpointId(thread.checkpointId());
            insertCheckpoint(h, new Checkpoint(checkpointId, thread.id(), run.id(), thread.checkpointId(), (ObjectNode) values,
                    EpochMillis.truncate(completion.at())));
        }
        Optional<String> next = h.createQuery("SELECT id FROM runs WHERE thread_id = :threadId AND status = 'pending' AND id <> :runId"
                        + " ORDER BY created_at, id LIMIT 1")
                .bind("threadId", thread.id())
                .bind("runId", run.id())
                .mapTo(String.class)
                .findOne();
        ThreadStatus status = next.isPresent() ? ThreadStatus.BUSY : completion.valuesRejected() ? ThreadStatus.ERROR : ThreadStatus.IDLE;
        h.createUpdate("UPDATE threads SET status = :status, active_run_id = :next, state_values = :values, checkpoint_id = :checkpointId,"
                        + " updated_at = :at WHERE id = :id AND active_run_id = :runId")
                .bind("status", status.wire())
                .bind("next", next.orElse(null))
                .bind("values", JsonColumns.write(values))
                .bind("checkpointId", checkpointId)
                .bind("at", EpochMillis.of(completion.at()))
                .bind("id", thread.id())
                .bind("runId", run.id())
                .execute();
    }

    /**
     * A checkpoint id that sorts after its parent's: ids are time-ordered only to the millisecond,
     * and history pages newest first by id.
     */
    private static String nextCheckpointId(String parentId) {
        String id = Ids.next(Ids.CHECKPOINT);
        while (parentId != null && id.compareTo(parentId) <= 0) {
            id = Ids.next(Ids.CHECKPOINT);
        }
        return id;
    }

    private static void insertCheckpoint(Handle h, Checkpoint c) {
        h.createUpdate("INSERT INTO checkpoints (" + CHECKPOINT_COLUMNS + ") VALUES (:id, :threadId, :runId, :parentId, :values, :createdAt)")
                .bind("id", c.id())
                .bind("threadId", c.threadId())
                .bind("runId", c.runId())
                .bind("parentId", c.parentId())
                .bind("values", JsonColumns.write(c.values()))
                .bind("createdAt", EpochMillis.of(c.createdAt()))
                .execute();
    }

    @Override
    public Optional<Checkpoint> checkpoint(String threadId, String checkpointId) {
        return db.read(h -> h.createQuery("SELECT " + CHECKPOINT_COLUMNS + " FROM checkpoints WHERE id = :id AND thread_id = :threadId")
                .bind("id", checkpointId)
                .bind("threadId", threadId)
                .map(JdbcThreadStore::mapCheckpoint)
                .findOne());
    }

    @Override
    public Page<Checkpoint> history(String threadId, PageRequest page) {
        Map<String, Object> values = new HashMap<>();
        values.put("threadId", threadId);
        values.put("limit", page.limit() + 1);
        String after = "";
        if (page.startingAfter() != null) {
            after = " AND id < :startingAfter";
            values.put("startingAfter", page.startingAfter());
        }
        String sql = "SELECT " + CHECKPOINT_COLUMNS + " FROM checkpoints WHERE thread_id = :threadId" + after + " ORDER BY id DESC LIMIT :limit";
        List<Checkpoint> rows = db.read(h -> h.createQuery(sql)
                .bindMap(values)
                .map(JdbcThreadStore::mapCheckpoint)
                .list());
        return Page.of(rows, page.limit(), Checkpoint::id);
    }

    private static CrewThread map(ResultSet rs, StatementContext ctx) throws SQLException {
        return new CrewThread(
                rs.getString("id"),
                rs.getString("project_id"),
                rs.getString("deployment_id"),
                ThreadStatus.fromWire(rs.getString("status")),
                (ObjectNode) JsonColumns.read(rs.getString("state_values")),
                (ObjectNode) JsonColumns.read(rs.getString("metadata")),
                rs.getString("active_run_id"),
                rs.getString("checkpoint_id"),
                EpochMillis.read(rs, "created_at"),
                EpochMillis.read(rs, "updated_at"));
    }

    private static Checkpoint mapCheckpoint(ResultSet rs, StatementContext ctx) throws SQLException {
        return new Checkpoint(
                rs.getString("id"),
                rs.getString("thread_id"),
                rs.getString("run_id"),
                rs.getString("parent_id"),
                (ObjectNode) JsonColumns.read(rs.getString("state_values")),
                EpochMillis.read(rs, "created_at"));
    }
}

package dev.crewship.store.jdbc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.crewship.artifact.Artifact;
import dev.crewship.common.Page;
import dev.crewship.common.PageRequest;
import dev.crewship.error.CrewshipException;
import dev.crewship.error.ProblemType;
import dev.crewship.event.Event;
import dev.crewship.event.EventTypes;
import dev.crewship.event.NewEvent;
import dev.crewship.run.Run;
import dev.crewship.run.RunCompletion;
import dev.crewship.run.RunError;
import dev.crewship.run.RunQuery;
import dev.crewship.run.RunStatus;
import dev.crewship.run.RunStore;
import dev.crewship.usage.TokenUsage;
import dev.crewship.usage.Usage;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.jdbi.v3.core.statement.SqlStatement;
import org.jdbi.v3.core.statement.StatementContext;

/**
 * Every state change of a run is one statement on the run row that also checks the run's current
 * status and bumps its {@code last_event_seq}, followed by the matching event rows, in one
 * transaction. The row update is what serializes concurrent writers of one run (PostgreSQL row
 * lock, SQLite single writer), so event numbers have no gaps and a terminal run never changes.
 */
final class JdbcRunStore implements RunStore {
    static final String COLUMNS = "id, project_id, deployment_id, thread_id, status, input, output, error,"
            + " idempotency_key, owner, created_at, started_at, finished_at";
    private static final String UNFINISHED = "status IN ('pending', 'running')";
    private static final String INSERT_EVENT =
            "INSERT INTO run_events (run_id, seq, type, data, created_at) VALUES (:runId, :seq, :type, :data, :createdAt)";

    private final Database db;

    JdbcRunStore(Database db) {
        this.db = db;
    }

    @Override
    public Run create(Run run) {
        Run stored = stored(run);
        try {
            db.write(h -> {
                insert(h, stored);
                return null;
            });
        } catch (RuntimeException e) {
            throw switch (db.violationOf(e)) {
                case UNIQUE -> CrewshipException.conflict(run.idempotencyKey() == null
                        ? "run " + run.id() + " already exists"
                        : "a run with this idempotency key already exists in project " + run.projectId());
                case FOREIGN_KEY -> new CrewshipException(ProblemType.NOT_FOUND,
                        "project " + run.projectId() + " or deployment " + run.deploymentId() + " not found");
                case NONE -> e;
            };
        }
        return stored;
    }

    /** The run as it reads back from the database (times cut to milliseconds); it must be pending. */
    static Run stored(Run run) {
        if (run.status() != RunStatus.PENDING) {
            throw new IllegalArgumentException("a new run must be pending, not " + run.status().wire());
        }
        return new Run(run.id(), run.projectId(), run.deploymentId(), run.threadId(), run.status(), run.input(), run.output(),
                run.error(), run.idempotencyKey(), run.owner(), EpochMillis.truncate(run.createdAt()),
                EpochMillis.truncate(run.startedAt()), EpochMillis.truncate(run.finishedAt()));
    }

    /** Inserts a run row; shared with the thread store, which inserts a thread's runs in its claim transaction. */
    static void insert(Handle h, Run stored) {
        h.createUpdate("INSERT INTO runs (" + COLUMNS + ") VALUES (:id, :projectId, :deploymentId, :threadId,"
                        + " :status, :input, :output, :error, :idempotencyKey, :owner, :createdAt, :startedAt, :finishedAt)")
                .bind("id", stored.id())
                .bind("projectId", stored.projectId())
                .bind("deploymentId", stored.deploymentId())
                .bind("threadId", stored.threadId())
                .bind("status", stored.status().wire())
                .bind("input", JsonColumns.write(stored.input()))
                .bind("output", JsonColumns.write(stored.output()))
                .bind("error", writeError(stored.error()))
                .bind("idempotencyKey", stored.idempotencyKey())
                .bind("owner", stored.owner())
                .bind("createdAt", EpochMillis.of(stored.createdAt()))
                .bind("startedAt", EpochMillis.of(stored.startedAt()))
                .bind("finishedAt", EpochMillis.of(stored.finishedAt()))
                .execute();
    }

    @Override
    public Optional<Run> findById(String id) {
        return db.read(h -> h.createQuery("SELECT " + COLUMNS + " FROM runs WHERE id = :id")
                .bind("id", id)
                .map(JdbcRunStore::map)
                .findOne());
    }

    @Override
    public Optional<Run> findByIdempotencyKey(String projectId, String idempotencyKey) {
        return db.read(h -> h.createQuery("SELECT " + COLUMNS + " FROM runs WHERE project_id = :projectId AND idempotency_key = :key")
                .bind("projectId", projectId)
                .bind("key", idempotencyKey)
                .map(JdbcRunStore::map)
                .findOne());
    }

    @Override
    public Page<Run> list(RunQuery query, PageRequest page) {
        List<String> conditions = new ArrayList<>();
        Map<String, Object> values = new HashMap<>();
        filter(conditions, values, "project_id", "projectId", query.projectId());
        filter(conditions, values, "deployment_id", "deploymentId", query.deploymentId());
        filter(conditions, values, "thread_id", "threadId", query.threadId());
        filter(conditions, values, "status", "status", query.status() == null ? null : query.status().wire());
        if (page.startingAfter() != null) {
            conditions.add("id < :startingAfter");
            values.put("startingAfter", page.startingAfter());
        }
        String where = conditions.isEmpty() ? "" : " WHERE " + String.join(" AND ", conditions);
        List<Run> rows = db.read(h -> h.createQuery("SELECT " + COLUMNS + " FROM runs" + where + " ORDER BY id DESC LIMIT :limit")
                .bindMap(values)
                .bind("limit", page.limit() + 1)
                .map(JdbcRunStore::map)
                .list());
        return Page.of(rows, page.limit(), Run::id);
    }

    private static void filter(List<String> conditions, Map<String, Object> values, String column, String name, String value) {
        if (value != null) {
            conditions.add(column + " = :" + name);
            values.put(name, value);
        }
    }

    @Override
    public List<Run> claimPending(String owner, int limit, Instant at) {
        if (limit < 1) {
            return List.of();
        }
        // The picked ids are materialized once: a locking subquery inlined into the UPDATE could be
        // re-run by the planner and pick (and claim) more than the limit.
        // A thread's run waits while it is queued behind another run of its thread: only the
        // thread's active run may start.
        String claim = "WITH picked AS MATERIALIZED (SELECT id FROM runs WHERE status = 'pending'"
                + " AND (thread_id IS NULL OR EXISTS (SELECT 1 FROM threads t WHERE t.active_run_id = runs.id))"
                + " ORDER BY created_at, id LIMIT :limit" + db.lockAndSkipClause() + ")"
                + " UPDATE runs SET status = 'running', owner = :owner, started_at = :at, last_event_seq = last_event_seq + 1"
                + " WHERE status = 'pending' AND id IN (SELECT id FROM picked)"
                + " RETURNING " + COLUMNS + ", last_event_seq";
        return db.write(h -> {
            List<Sequenced> claimed = h.createQuery(claim)
                    .bind("owner", owner)
                    .bind("at", EpochMillis.of(at))
                    .bind("limit", limit)
                    .map(JdbcRunStore::mapSequenced)
                    .list();
            if (claimed.isEmpty()) {
                return List.of();
            }
            PreparedBatch started = h.prepareBatch(INSERT_EVENT);
            for (Sequenced s : claimed) {
                ObjectNode data = JsonColumns.object().put("deployment_id", s.run().deploymentId());
                bindEvent(started, new Event(s.run().id(), s.lastSeq(), EventTypes.RUN_STARTED, data, s.run().startedAt())).add();
            }
            started.execute();
            return claimed.stream()
                    .map(Sequenced::run)
                    .sorted(Comparator.comparing(Run::createdAt).thenComparing(Run::id))
                    .toList();
        });
    }

    @Override
    public List<Event> appendEvents(String runId, List<NewEvent> events, Instant at) {
        for (NewEvent event : events) {
            if (EventTypes.isTerminal(event.type())) {
                throw new IllegalArgumentException("terminal event " + event.type() + " is written only by finish");
            }
        }
        if (events.isEmpty()) {
            return List.of();
        }
        return db.write(h -> {
            Optional<Long> last = h.createQuery("UPDATE runs SET last_event_seq = last_event_seq + :events"
                            + " WHERE id = :id AND " + UNFINISHED + " RETURNING last_event_seq")
                    .bind("id", runId)
                    .bind("events", (long) events.size())
                    .mapTo(Long.class)
                    .findOne();
            if (last.isEmpty()) {
                requireExists(h, runId);
                return List.of();
            }
            long firstSeq = last.get() - events.size() + 1;
            Instant stamp = EpochMillis.truncate(at);
            List<Event> stored = new ArrayList<>(events.size());
            PreparedBatch batch = h.prepareBatch(INSERT_EVENT);
            for (int i = 0; i < events.size(); i++) {
                NewEvent e = events.get(i);
                Event event = new Event(runId, firstSeq + i, e.type(), dataOrEmpty(e.data()), stamp);
                bindEvent(batch, event).add();
                stored.add(event);
            }
            batch.execute();
            return stored;
        });
    }

    @Override
    public Optional<Run> finish(String runId, RunCompletion completion) {
        requireWellFormed(runId, completion);
        List<NewEvent> events = completion.events();
        return db.write(h -> {
            Optional<Sequenced> finished = h.createQuery("UPDATE runs SET status = :status, output = :output, error = :error,"
                            + " finished_at = :at, last_event_seq = last_event_seq + :events"
                            + " WHERE id = :id AND " + UNFINISHED + " RETURNING " + COLUMNS + ", last_event_seq")
                    .bind("id", runId)
                    .bind("status", completion.status().wire())
                    .bind("output", JsonColumns.write(completion.output()))
                    .bind("error", writeError(completion.error()))
                    .bind("at", EpochMillis.of(completion.at()))
                    .bind("events", (long) events.size())
                    .map(JdbcRunStore::mapSequenced)
                    .findOne();
            if (finished.isEmpty()) {
                requireExists(h, runId);
                return Optional.empty();
            }
            insertArtifacts(h, runId, completion);
            if (finished.get().run().threadId() != null) {
                JdbcThreadStore.release(h, finished.get().run(), completion);
            }
            long firstSeq = finished.get().lastSeq() - events.size() + 1;
            Instant at = EpochMillis.truncate(completion.at());
            PreparedBatch batch = h.prepareBatch(INSERT_EVENT);
            for (int i = 0; i < events.size(); i++) {
                NewEvent e = events.get(i);
                bindEvent(batch, new Event(runId, firstSeq + i, e.type(), dataOrEmpty(e.data()), at)).add();
            }
            batch.execute();
            return Optional.of(finished.get().run());
        });
    }

    /**
     * A completion must end with exactly one terminal event matching its status, so that a run is
     * never terminal without its terminal event (and never has one while running).
     */
    private static void requireWellFormed(String runId, RunCompletion completion) {
        List<NewEvent> events = completion.events();
        String terminal = switch (completion.status()) {
            case SUCCEEDED -> EventTypes.RUN_COMPLETED;
            case FAILED -> EventTypes.RUN_FAILED;
            case CANCELED -> EventTypes.RUN_CANCELED;
            case PENDING, RUNNING -> throw new IllegalArgumentException("not a terminal status: " + completion.status());
        };
        if (events.isEmpty() || !terminal.equals(events.getLast().type())) {
            throw new IllegalArgumentException("a " + completion.status().wire() + " completion must end with a " + terminal + " event");
        }
        if (events.stream().filter(e -> EventTypes.isTerminal(e.type())).count() != 1) {
            throw new IllegalArgumentException("a completion has exactly one terminal event");
        }
        Set<String> names = new HashSet<>();
        for (Artifact artifact : completion.artifacts()) {
            if (artifact.runId() != null && !artifact.runId().equals(runId)) {
                throw new IllegalArgumentException("artifact " + artifact.name() + " belongs to run " + artifact.runId() + ", not " + runId);
            }
            if (!names.add(artifact.name())) {
                throw new IllegalArgumentException("artifact " + artifact.name() + " is listed twice");
            }
        }
    }

    private static void insertArtifacts(Handle h, String runId, RunCompletion completion) {
        if (completion.artifacts().isEmpty()) {
            return;
        }
        PreparedBatch batch = h.prepareBatch("INSERT INTO artifacts (run_id, name, size, content_type, sha256, created_at)"
                + " VALUES (:runId, :name, :size, :contentType, :sha256, :createdAt)");
        for (Artifact artifact : completion.artifacts()) {
            batch.bind("runId", runId)
                    .bind("name", artifact.name())
                    .bind("size", artifact.size())
                    .bind("contentType", artifact.contentType())
                    .bind("sha256", artifact.sha256())
                    .bind("createdAt", EpochMillis.of(Objects.requireNonNullElse(artifact.createdAt(), completion.at())))
                    .add();
        }
        batch.execute();
    }

    @Override
    public List<Event> events(String runId, long afterSeq, int limit) {
        if (limit < 1) {
            return List.of();
        }
        return db.read(h -> h.createQuery("SELECT run_id, seq, type, data, created_at FROM run_events"
                        + " WHERE run_id = :runId AND seq > :afterSeq ORDER BY seq LIMIT :limit")
                .bind("runId", runId)
                .bind("afterSeq", afterSeq)
                .bind("limit", limit)
                .map((rs, ctx) -> new Event(rs.getString("run_id"), rs.getLong("seq"), rs.getString("type"),
                        JsonColumns.read(rs.getString("data")), EpochMillis.read(rs, "created_at")))
                .list());
    }

    @Override
    public List<Run> listUnfinished() {
        return db.read(h -> h.createQuery("SELECT " + COLUMNS + " FROM runs WHERE " + UNFINISHED + " ORDER BY created_at, id")
                .map(JdbcRunStore::map)
                .list());
    }

    @Override
    public Usage usage(String projectId) {
        record StatusTotals(RunStatus status, long runs, long runMillis) {
        }
        List<StatusTotals> totals = db.read(h -> h.createQuery("SELECT status, COUNT(*) AS runs,"
                        + " SUM(CASE WHEN started_at IS NOT NULL AND finished_at IS NOT NULL THEN finished_at - started_at ELSE 0 END) AS run_millis"
                        + " FROM runs WHERE project_id = :projectId GROUP BY status")
                .bind("projectId", projectId)
                .map((rs, ctx) -> new StatusTotals(RunStatus.fromWire(rs.getString("status")), rs.getLong("runs"), rs.getLong("run_millis")))
                .list());
        Map<RunStatus, Long> byStatus = new EnumMap<>(RunStatus.class);
        for (RunStatus status : RunStatus.values()) {
            byStatus.put(status, 0L);
        }
        long runMillis = 0;
        for (StatusTotals t : totals) {
            byStatus.put(t.status(), t.runs());
            runMillis += t.runMillis();
        }
        return new Usage(byStatus, runMillis / 1000.0, tokens(projectId));
    }

    /**
     * Summed in Java over the project's {@code llm.completed} events: the event data is JSON text in both
     * databases, and reading it here keeps one definition of a count (TokenUsage) for SQLite and PostgreSQL.
     */
    private TokenUsage tokens(String projectId) {
        return db.read(h -> {
            TokenUsage sum = TokenUsage.NONE;
            try (var rows = h.createQuery("SELECT e.data FROM run_events e JOIN runs r ON r.id = e.run_id"
                            + " WHERE r.project_id = :projectId AND e.type = :type")
                    .bind("projectId", projectId)
                    .bind("type", TokenUsage.EVENT_TYPE)
                    .mapTo(String.class)
                    .stream()) {
                for (String data : (Iterable<String>) rows::iterator) {
                    sum = sum.plus(JsonColumns.read(data));
                }
            }
            return sum;
        });
    }

    private static void requireExists(Handle h, String runId) {
        boolean exists = h.createQuery("SELECT 1 FROM runs WHERE id = :id").bind("id", runId).mapTo(Integer.class).findOne().isPresent();
        if (!exists) {
            throw CrewshipException.notFound("run", runId);
        }
    }

    private static <S extends SqlStatement<S>> S bindEvent(S statement, Event event) {
        return statement.bind("runId", event.runId())
                .bind("seq", event.seq())
                .bind("type", event.type())
                .bind("data", JsonColumns.write(event.data()))
                .bind("createdAt", EpochMillis.of(event.createdAt()));
    }

    /** An event without a payload stores an empty object, so every stored event has a JSON object as data. */
    private static JsonNode dataOrEmpty(JsonNode data) {
        return data == null ? JsonColumns.object() : data;
    }

    static String writeError(RunError error) {
        if (error == null) {
            return null;
        }
        return JsonColumns.write(JsonColumns.object()
                .put("type", error.type())
                .put("message", error.message())
                .put("traceback", error.traceback()));
    }

    private static RunError readError(String text) {
        JsonNode node = JsonColumns.read(text);
        return node == null ? null : new RunError(JsonColumns.text(node, "type"), JsonColumns.text(node, "message"), JsonColumns.text(node, "traceback"));
    }

    /** A run row together with its event counter, as returned by the updates that append events. */
    private record Sequenced(Run run, long lastSeq) {
    }

    private static Sequenced mapSequenced(ResultSet rs, StatementContext ctx) throws SQLException {
        return new Sequenced(map(rs, ctx), rs.getLong("last_event_seq"));
    }

    static Run map(ResultSet rs, StatementContext ctx) throws SQLException {
        return new Run(
                rs.getString("id"),
                rs.getString("project_id"),
                rs.getString("deployment_id"),
                rs.getString("thread_id"),
                RunStatus.fromWire(rs.getString("status")),
                JsonColumns.read(rs.getString("input")),
                JsonColumns.read(rs.getString("output")),
                readError(rs.getString("error")),
                rs.getString("idempotency_key"),
                rs.getString("owner"),
                EpochMillis.read(rs, "created_at"),
                EpochMillis.read(rs, "started_at"),
                EpochMillis.read(rs, "finished_at"));
    }
}

package dev.crewship.thread;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.crewship.auth.Principal;
import dev.crewship.auth.VisibleResources;
import dev.crewship.common.Ids;
import dev.crewship.common.JsonObjects;
import dev.crewship.common.Page;
import dev.crewship.common.PageRequest;
import dev.crewship.deployment.Deployment;
import dev.crewship.deployment.DeploymentStatus;
import dev.crewship.error.CrewshipException;
import dev.crewship.error.ProblemType;
import dev.crewship.run.Run;
import dev.crewship.run.RunCreation;
import dev.crewship.run.RunDispatcher;
import dev.crewship.run.RunQuery;
import dev.crewship.run.RunService;
import dev.crewship.run.RunStatus;
import dev.crewship.store.Store;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Threads as the API offers them (docs/api.md, "Threads"): create, read, list, delete, fork; runs
 * inside a thread, one at a time; the thread's state, history and checkpoints. Every call is
 * authorized with the caller's {@link Principal}: another project's thread answers like a missing
 * one (404). A rejected request changes nothing.
 */
public final class ThreadService {
    /** Metadata: at most this many keys ... */
    public static final int MAX_METADATA_KEYS = 50;
    /** ... each matching this pattern ... */
    public static final Pattern METADATA_KEY = Pattern.compile("[A-Za-z0-9_-]{1,40}");
    /** ... with a string value of at most this many characters. */
    public static final int MAX_METADATA_VALUE_CHARS = 500;

    private static final String STATUSES = Arrays.stream(ThreadStatus.values()).map(ThreadStatus::wire).collect(Collectors.joining(", "));

    private final Store store;
    private final VisibleResources visible;
    private final RunDispatcher dispatcher;
    private final Clock clock;
    private final long maxValuesBytes;
    private final long maxInputBytes;

    /**
     * @param maxValuesBytes largest accepted thread {@code values} (serialized JSON), given or saved by a run
     * @param maxInputBytes  largest accepted run {@code input} (serialized JSON)
     */
    public ThreadService(Store store, RunDispatcher dispatcher, Clock clock, long maxValuesBytes, long maxInputBytes) {
        this.store = store;
        this.visible = new VisibleResources(store);
        this.dispatcher = dispatcher;
        this.clock = clock;
        this.maxValuesBytes = maxValuesBytes;
        this.maxInputBytes = maxInputBytes;
    }

    public CrewThread create(Principal principal, NewThread request) {
        if ((request.deploymentId() == null) == (request.project() == null)) {
            throw CrewshipException.invalid("give either deployment_id or project (the project's current deployment), not both");
        }
        ObjectNode values = JsonObjects.require("values", request.values(), maxValuesBytes);
        ObjectNode metadata = validMetadata(request.metadata());
        Deployment deployment = request.deploymentId() != null
                ? visible.deployment(principal, request.deploymentId())
                : visible.currentDeployment(principal, request.project());
        requireReady(deployment);
        Instant now = clock.instant();
        return store.threads().create(new CrewThread(Ids.next(Ids.THREAD), deployment.projectId(), deployment.id(), ThreadStatus.IDLE,
                values, metadata, null, null, now, now));
    }

    public CrewThread get(Principal principal, String threadId) {
        return store.threads().findById(threadId)
                .filter(thread -> principal.canAccess(thread.projectId()))
                .orElseThrow(() -> CrewshipException.notFound("thread", threadId));
    }

    /**
     * Threads newest first, filtered by project name, deployment, status and metadata (each
     * optional; every metadata entry must match). A project key sees only its own project's threads.
     */
    public Page<CrewThread> list(Principal principal, String project, String deploymentId, String status,
                                 Map<String, String> metadata, PageRequest page) {
        String projectId = project != null ? visible.project(principal, project).id() : principal.projectId();
        ThreadStatus wanted = status == null ? null : parseStatus(status);
        for (Map.Entry<String, String> entry : metadata.entrySet()) {
            requireMetadataEntry(entry.getKey(), entry.getValue());
        }
        return store.threads().list(new ThreadQuery(projectId, deploymentId, wanted, metadata), page);
    }

    /** Deletes an idle thread and its checkpoints; its runs stay readable. A busy thread is a conflict. */
    public void delete(Principal principal, String threadId) {
        get(principal, threadId);
        store.threads().delete(threadId);
    }

    /**
     * Starts a run inside the thread with the thread's current values. While another run of the
     * thread is pending or running the request is refused ({@link ThreadBusyException}, 409) or,
     * with {@link MultitaskStrategy#ENQUEUE}, queued behind it. With an idempotency key, a repeat of
     * the same request returns the original run ({@code created == false}), as for stateless runs
     * (the keys are shared with them, per project); the same key with another request is a conflict.
     */
    public RunCreation createRun(Principal principal, String threadId, JsonNode input, MultitaskStrategy strategy, String idempotencyKey) {
        if (idempotencyKey != null && (idempotencyKey.isBlank() || idempotencyKey.length() > RunService.MAX_IDEMPOTENCY_KEY_LENGTH)) {
            throw CrewshipException.invalid("Idempotency-Key must be 1 to " + RunService.MAX_IDEMPOTENCY_KEY_LENGTH + " characters");
        }
        ObjectNode checkedInput = JsonObjects.require("input", input, maxInputBytes);
        CrewThread thread = get(principal, threadId);
        if (idempotencyKey != null) {
            Optional<RunCreation> repeat = repeatOf(thread, idempotencyKey, checkedInput);
            if (repeat.isPresent()) {
                return repeat.get();
            }
        }
        Deployment deployment = store.deployments().findById(thread.deploymentId())
                .orElseThrow(() -> CrewshipException.notFound("deployment", thread.deploymentId()));
        requireReady(deployment);
        Run run = new Run(Ids.next(Ids.RUN), thread.projectId(), thread.deploymentId(), thread.id(), RunStatus.PENDING, checkedInput,
                null, null, idempotencyKey, null, clock.instant(), null, null);
        Run created;
        try {
            created = store.threads().createRun(run, strategy == MultitaskStrategy.ENQUEUE);
        } catch (ThreadBusyException e) {
            throw e;
        } catch (CrewshipException e) {
            if (idempotencyKey == null || e.type() != ProblemType.CONFLICT) {
                throw e;
            }
            // A concurrent request with the same key won the unique index: answer with its run.
            return repeatOf(thread, idempotencyKey, checkedInput).orElseThrow(() -> e);
        }
        dispatcher.signal();
        return new RunCreation(created, true);
    }

    private Optional<RunCreation> repeatOf(CrewThread thread, String idempotencyKey, JsonNode input) {
        return store.runs().findByIdempotencyKey(thread.projectId(), idempotencyKey).map(original -> {
            if (!thread.id().equals(original.threadId()) || !original.input().equals(input)) {
                throw CrewshipException.conflict("Idempotency-Key " + idempotencyKey + " was already used for run "
                        + original.id() + " with a different request");
            }
            return new RunCreation(original, false);
        });
    }

    /** The thread's runs, newest first. */
    public Page<Run> runs(Principal principal, String threadId, PageRequest page) {
        CrewThread thread = get(principal, threadId);
        return store.runs().list(new RunQuery(thread.projectId(), null, thread.id(), null), page);
    }

    /** The thread's checkpoints, newest first. */
    public Page<Checkpoint> history(Principal principal, String threadId, PageRequest page) {
        get(principal, threadId);
        return store.threads().history(threadId, page);
    }

    public Checkpoint checkpoint(Principal principal, String threadId, String checkpointId) {
        get(principal, threadId);
        return store.threads().checkpoint(threadId, checkpointId)
                .orElseThrow(() -> CrewshipException.notFound("checkpoint", checkpointId + " of thread " + threadId));
    }

    /**
     * A new idle thread whose values are those of one of this thread's checkpoints
     * ({@code checkpointId} null: the newest); the original thread is not touched. The fork runs on
     * the original's deployment, or on {@code deploymentId}: a ready deployment of the same project,
     * which carries a conversation over to a newer version of the crew. {@code metadata} null copies
     * the original's.
     */
    public CrewThread fork(Principal principal, String threadId, String checkpointId, String deploymentId, JsonNode metadata) {
        CrewThread original = get(principal, threadId);
        ObjectNode forkMetadata = metadata == null || metadata.isNull() ? original.metadata() : validMetadata(metadata);
        String target = original.deploymentId();
        if (deploymentId != null) {
            Deployment deployment = visible.deployment(principal, deploymentId);
            if (!deployment.projectId().equals(original.projectId())) {
                throw CrewshipException.invalid("deployment " + deploymentId + " belongs to another project than thread " + threadId
                        + "; a thread can move only to a deployment of its own project");
            }
            requireReady(deployment);
            target = deployment.id();
        }
        String sourceId = checkpointId != null ? checkpointId : original.checkpointId();
        if (sourceId == null) {
            throw CrewshipException.conflict("thread " + threadId + " has no checkpoint yet: a checkpoint is written when a run of it succeeds");
        }
        Checkpoint source = checkpoint(principal, threadId, sourceId);
        Instant now = clock.instant();
        return store.threads().fork(new CrewThread(Ids.next(Ids.THREAD), original.projectId(), target, ThreadStatus.IDLE,
                source.values(), forkMetadata, null, null, now, now), source, Ids.next(Ids.CHECKPOINT));
    }

    private ObjectNode validMetadata(JsonNode metadata) {
        ObjectNode object = JsonObjects.require("metadata", metadata, maxValuesBytes);
        if (object.size() > MAX_METADATA_KEYS) {
            throw CrewshipException.invalid("metadata may have at most " + MAX_METADATA_KEYS + " keys, not " + object.size());
        }
        for (Map.Entry<String, JsonNode> entry : object.properties()) {
            if (!entry.getValue().isTextual()) {
                throw CrewshipException.invalid("metadata." + entry.getKey() + " must be a string");
            }
            requireMetadataEntry(entry.getKey(), entry.getValue().textValue());
        }
        return object;
    }

    private static void requireMetadataEntry(String key, String value) {
        if (!METADATA_KEY.matcher(key).matches()) {
            throw CrewshipException.invalid("metadata keys are 1 to 40 letters, digits, '_' or '-', not \"" + key + "\"");
        }
        int characters = value.codePointCount(0, value.length()); // as documented, and as JSON Schema's maxLength counts
        if (characters > MAX_METADATA_VALUE_CHARS) {
            throw CrewshipException.invalid("metadata." + key + " has " + characters + " characters; at most "
                    + MAX_METADATA_VALUE_CHARS + " are allowed");
        }
    }

    private static void requireReady(Deployment deployment) {
        if (deployment.status() != DeploymentStatus.READY) {
            throw new CrewshipException(ProblemType.DEPLOYMENT_NOT_READY,
                    "deployment " + deployment.id() + " is " + deployment.status().wire() + ", not ready");
        }
    }




    private static ThreadStatus parseStatus(String status) {
        return Arrays.stream(ThreadStatus.values())
                .filter(s -> s.wire().equals(status))
                .findFirst()
                .orElseThrow(() -> CrewshipException.invalid("status must be one of " + STATUSES));
    }
}

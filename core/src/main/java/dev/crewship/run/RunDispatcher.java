package dev.crewship.run;

import com.fasterxml.jackson.databind.JsonNode;
import dev.crewship.artifact.Artifact;
import dev.crewship.artifact.ArtifactCollector;
import dev.crewship.common.DataDir;
import dev.crewship.common.Ids;
import dev.crewship.deployment.Deployment;
import dev.crewship.deployment.DeploymentStore;
import dev.crewship.deployment.EnvironmentBuilder;
import dev.crewship.common.JsonObjects;
import dev.crewship.error.CrewshipException;
import dev.crewship.event.Event;
import dev.crewship.event.EventBus;
import dev.crewship.event.EventTypes;
import dev.crewship.event.NewEvent;
import dev.crewship.thread.CrewThread;
import dev.crewship.thread.ThreadStore;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves runs from {@code pending} to a terminal state on this server node.
 *
 * <p>Claiming: pending runs are claimed through {@link RunStore#claimPending} (atomic, so several
 * nodes sharing a database never claim the same run) whenever a run is created ({@link #signal()})
 * and every {@link RunDispatcherConfig#pollInterval()} as a safety net, never more than the free
 * slots of {@link RunDispatcherConfig#maxConcurrentRuns()}; beyond that runs wait as {@code pending}.
 *
 * <p>Executing: each claimed run gets a virtual thread that builds the {@link ExecutionRequest}
 * (deployment source, its Python environment, a fresh scratch folder with {@code artifacts/},
 * the project's decrypted environment variables), hands the crew's events through the project's
 * redactor into {@link RunStore#appendEvents} (events that arrived together in one transaction)
 * and then the {@link EventBus}, collects the artifacts when the executor returns (whatever the
 * outcome) and ends the run with exactly one
 * {@link RunStore#finish}. The scratch folder is deleted just before that finish. A thread's run
 * receives the thread's values (read when it starts: the thread is held by this run, so they cannot
 * change meanwhile) and its finish saves the values the crew returned, when it succeeded and they fit
 * {@link RunDispatcherConfig#maxValuesBytes()}.
 *
 * <p>Cancelling: {@link #cancel} ends a pending run at once, or kills a running run's process tree;
 * that run then finishes as {@code canceled}. Claims and cancels of this node are serialized, so a
 * cancel never races a claim of the same run here.
 */
public final class RunDispatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RunDispatcher.class);

    /** Events read from the store at once when publishing stored events. */
    private static final int EVENT_READ_BATCH = 1000;

    /** How often a kill is retried while the executor has not registered the run yet. */
    private static final Duration KILL_RETRY = Duration.ofMillis(20);

    /** Error type of a run the server stopped while it executed. */
    public static final String SERVER_STOPPED = "ServerStopped";

    /** Error type of a thread run that succeeded but returned values too large to save. */
    public static final String THREAD_VALUES_TOO_LARGE = "ThreadValuesTooLarge";

    /** Error type of a run that failed because of Crewship itself, not the crew. */
    public static final String INTERNAL_ERROR = "InternalError";

    private final RunStore runs;
    private final DeploymentStore deployments;
    private final ThreadStore threads;
    private final Executor executor;
    private final ArtifactCollector collector;
    private final EnvironmentBuilder environments;
    private final DataDir dataDir;
    private final RunSecrets.Source secrets;
    private final EventBus bus;
    private final Clock clock;
    private final RunDispatcherConfig config;

    /** A random id per server process; runs this process claims carry it as {@code owner}. */
    private final String nodeId = "node_" + Ids.secret(16);
    private final Map<String, Execution> executions = new ConcurrentHashMap<>();
    private final Object claimLock = new Object();
    private final Semaphore wakeup = new Semaphore(0);
    private volatile boolean stopping;
    private Thread loop;

    public RunDispatcher(RunStore runs, DeploymentStore deployments, ThreadStore threads, Executor executor, ArtifactCollector collector,
                         EnvironmentBuilder environments, DataDir dataDir, RunSecrets.Source secrets, EventBus bus,
                         Clock clock, RunDispatcherConfig config) {
        this.runs = runs;
        this.deployments = deployments;
        this.threads = threads;
        this.executor = executor;
        this.collector = collector;
        this.environments = environments;
        this.dataDir = dataDir;
        this.secrets = secrets;
        this.bus = bus;
        this.clock = clock;
        this.config = config;
    }

    public String nodeId() {
        return nodeId;
    }

    /** Starts claiming runs. Call once, after {@link RunRecovery} has run. */
    public synchronized void start() {
        if (loop != null) {
            throw new IllegalStateException("the run dispatcher is already started");
        }
        loop = Thread.ofVirtual().name("crewship-run-dispatcher").start(this::claimLoop);
    }

    /** Tells the dispatcher that a run was created (or a slot freed): it claims without waiting for the next poll. */
    public void signal() {
        wakeup.release();
    }

    /** Runs executing on this node right now. */
    public int executingCount() {
        return executions.size();
    }

    /**
     * Cancels a run: a pending run becomes {@code canceled} at once; a running run executing here
     * is killed and this call waits (up to {@link RunDispatcherConfig#cancelWait()}) until it is
     * recorded as {@code canceled}. Returns the run as it is then.
     *
     * @throws CrewshipException NOT_FOUND for an unknown run, CONFLICT when the run has already
     *                           finished or executes on another server node
     */
    public Run cancel(String runId) {
        Execution execution;
        synchronized (claimLock) {
            Run run = runs.findById(runId).orElseThrow(() -> CrewshipException.notFound("run", runId));
            if (run.status() == RunStatus.PENDING) {
                Optional<Run> canceled = runs.finish(runId, RunCompletions.canceled(run, List.of(), clock.instant()));
                if (canceled.isPresent()) {
                    publishStored(runId, 0);
                    return canceled.get();
                }
                // Claimed by another node or finished meanwhile: judge by the run as it is now.
                run = runs.findById(runId).orElseThrow(() -> CrewshipException.notFound("run", runId));
            }
            if (run.status().isTerminal()) {
                throw CrewshipException.conflict("run " + runId + " has already finished as " + run.status().wire());
            }
            execution = executions.get(runId);
            if (execution == null) {
                throw CrewshipException.conflict("run " + runId + " is executing on another server node (" + run.owner()
                        + ") and can only be canceled there");
            }
        }
        execution.requestCancel();
        try {
            execution.done.get(config.cancelWait().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            log.warn("run {} did not end within {} after it was canceled; it is still being killed", runId, config.cancelWait());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            throw new IllegalStateException("the completion of run " + runId + " failed", e);
        }
        return runs.findById(runId).orElseThrow(() -> CrewshipException.notFound("run", runId));
    }

    /**
     * Stops claiming, kills the runs executing here and waits (up to {@link RunDispatcherConfig#stopWait()})
     * until they are recorded as failed with {@value #SERVER_STOPPED}. Close this before the store and the executor.
     */
    @Override
    public void close() {
        synchronized (claimLock) {
            stopping = true;
        }
        Thread claimer;
        synchronized (this) {
            claimer = loop;
        }
        if (claimer != null) {
            claimer.interrupt();
        }
        List<Execution> active = List.copyOf(executions.values());
        active.forEach(Execution::requestStop);
        CompletableFuture<?> all = CompletableFuture.allOf(active.stream().map(e -> e.done).toArray(CompletableFuture[]::new));
        try {
            all.get(config.stopWait().toMillis(), TimeUnit.MILLISECONDS);
            if (claimer != null) {
                claimer.join(config.stopWait().toMillis());
            }
        } catch (TimeoutException e) {
            log.warn("{} runs were still executing {} after the server began stopping; recovery fails them on the next start",
                    executions.size(), config.stopWait());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            log.error("a run failed to finish while the server stopped", e);
        }
    }

    private void claimLoop() {
        while (!stopping) {
            try {
                claimAndStart();
            } catch (RuntimeException e) {
                log.error("claiming pending runs failed; trying again in {}", config.pollInterval(), e);
            }
            try {
                wakeup.tryAcquire(config.pollInterval().toMillis(), TimeUnit.MILLISECONDS);
                wakeup.drainPermits();
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void claimAndStart() {
        synchronized (claimLock) {
            if (stopping) {
                return;
            }
            int free = config.maxConcurrentRuns() - executions.size();
            if (free <= 0) {
                return;
            }
            for (Run run : runs.claimPending(nodeId, free, clock.instant())) {
                Execution execution = new Execution(run);
                executions.put(run.id(), execution);
                Thread.ofVirtual().name("crewship-run-" + run.id()).start(() -> execute(execution));
            }
        }
    }

    private void execute(Execution execution) {
        Run run = execution.run;
        Path scratch = dataDir.runScratch(run.id());
        try {
            execution.lastSeq = publishStored(run.id(), 0);
            RunSecrets projectSecrets = RunSecrets.none();
            RunCompletion completion;
            try {
                projectSecrets = secrets.forProject(run.projectId());
                completion = executeAndCollect(execution, projectSecrets, scratch);
            } catch (RuntimeException e) {
                log.error("run {} could not be executed", run.id(), e);
                completion = RunCompletions.failed(run, RunError.of(INTERNAL_ERROR,
                        "Crewship could not execute the run; the server log has the details"), List.of(), clock.instant());
            }
            // Artifacts are stored by now; the scratch goes before the run turns terminal, so a client
            // that sees the terminal status never races the clean-up.
            RunScratch.delete(scratch);
            Optional<Run> finished = runs.finish(run.id(), completion);
            if (finished.isEmpty()) {
                log.info("run {} had already been finished elsewhere; its {} outcome is not recorded", run.id(), completion.status().wire());
            }
            publishStored(run.id(), execution.lastSeq);
        } catch (RuntimeException e) {
            log.error("run {} could not be recorded as finished; recovery fails it on the next start", run.id(), e);
        } finally {
            RunScratch.delete(scratch); // no-op when already deleted; covers the failure paths
            executions.remove(run.id());
            execution.done.complete(null);
            wakeup.release();
        }
    }

    private RunCompletion executeAndCollect(Execution execution, RunSecrets projectSecrets, Path scratch) {
        Run run = execution.run;
        Deployment deployment = deployments.findById(run.deploymentId()).orElse(null);
        if (deployment == null || deployment.environmentKey() == null) {
            return RunCompletions.failed(run, RunError.of(INTERNAL_ERROR,
                    "deployment " + run.deploymentId() + " has no environment to run in"), List.of(), clock.instant());
        }
        Path artifactsDir;
        try {
            artifactsDir = RunScratch.prepare(scratch);
        } catch (IOException e) {
            log.error("run {}: cannot create its scratch folder {}", run.id(), scratch, e);
            return RunCompletions.failed(run, RunError.of(INTERNAL_ERROR,
                    "the run's scratch folder could not be created; the server log has the details"), List.of(), clock.instant());
        }
        synchronized (execution) {
            if (execution.cancelRequested) {
                return RunCompletions.canceled(run, List.of(), clock.instant());
            }
            if (execution.stopRequested) {
                return RunCompletions.failed(run, RunError.of(SERVER_STOPPED,
                        "the server stopped before the run could start"), List.of(), clock.instant());
            }
            execution.started = true;
        }
        ExecutionRequest request = new ExecutionRequest(run.id(), run.deploymentId(), deployment.config(),
                dataDir.deploymentSource(run.deploymentId()), environments.environmentDir(deployment.environmentKey()),
                artifactsDir, run.input(), threadValues(run), projectSecrets.env());
        ExecutionResult result;
        try {
            result = executor.execute(request, new EventSink() {
                @Override
                public void emit(NewEvent event) {
                    record(execution, projectSecrets, event);
                }

                @Override
                public void emitAll(List<NewEvent> events) {
                    recordAll(execution, projectSecrets, events);
                }
            });
        } catch (InterruptedException e) {
            // Nothing interrupts run threads on purpose; treat it like an executor failure. The thread ends right after.
            result = ExecutionResult.failed(RunError.of(INTERNAL_ERROR, "the run's execution was interrupted"));
        } catch (RuntimeException e) {
            log.error("run {}: the executor failed", run.id(), e);
            result = ExecutionResult.failed(RunError.of(INTERNAL_ERROR, "the executor failed; the server log has the details"));
        }
        ArtifactCollector.Collected collected = collector.collect(run.id(), artifactsDir);
        collected.notes().forEach(note -> record(execution, projectSecrets, PlatformLog.event(note)));
        return completionFor(execution, deployment, result, collected.artifacts(), projectSecrets, clock.instant());
    }

    private RunCompletion completionFor(Execution execution, Deployment deployment, ExecutionResult result,
                                        List<Artifact> artifacts, RunSecrets projectSecrets, Instant at) {
        Run run = execution.run;
        if (result.outcome() == ExecutionResult.Outcome.SUCCEEDED) {
            // A crew that finished before a cancel could kill it has succeeded: its work is done.
            if (run.threadId() == null) {
                return RunCompletions.succeeded(run, projectSecrets.redact(result.output()), artifacts, at);
            }
            JsonNode values = projectSecrets.redact(result.values());
            long size = values == null ? 0 : JsonObjects.serializedSize(values);
            if (size > config.maxValuesBytes()) {
                return RunCompletions.valuesRejected(run, RunError.of(THREAD_VALUES_TOO_LARGE, "the crew finished, but the thread's new values are "
                        + size + " bytes of JSON and at most " + config.maxValuesBytes() + " can be saved; the thread keeps its values"
                        + " (keep large data in artifacts)"), artifacts, at);
            }
            return RunCompletions.succeeded(run, projectSecrets.redact(result.output()), values, artifacts, at);
        }
        if (execution.cancelRequested) {
            return RunCompletions.canceled(run, artifacts, at);
        }
        if (execution.stopRequested && result.outcome() == ExecutionResult.Outcome.KILLED) {
            return RunCompletions.failed(run, RunError.of(SERVER_STOPPED,
                    "the server stopped while the run was executing; it is not retried because a crew may have side effects"),
                    artifacts, at);
        }
        RunError error = result.error();
        if (error == null) {
            error = switch (result.outcome()) {
                case TIMED_OUT -> RunError.of("Timeout", "the run took longer than its timeout of "
                        + deployment.config().timeout().toSeconds() + " seconds (timeout_seconds in crewship.toml)");
                case KILLED -> RunError.of("Killed", "the run was killed");
                default -> RunError.of("Error", "the run failed without saying why");
            };
        }
        return RunCompletions.failed(run, projectSecrets.redact(error), artifacts, at);
    }

    /** The values a thread's run starts with; null for a stateless run. */
    private JsonNode threadValues(Run run) {
        if (run.threadId() == null) {
            return null;
        }
        return threads.findById(run.threadId()).map(CrewThread::values)
                .orElseThrow(() -> new IllegalStateException("thread " + run.threadId() + " of run " + run.id() + " is gone"));
    }

    /** Stores one of the crew's events (redacted) and publishes it; reserved types cannot be forged by a crew. */
    private void record(Execution execution, RunSecrets projectSecrets, NewEvent event) {
        recordAll(execution, projectSecrets, List.of(event));
    }

    /** As {@link #record}, for events that arrived together: stored in one transaction, then published in order. */
    private void recordAll(Execution execution, RunSecrets projectSecrets, List<NewEvent> events) {
        List<NewEvent> clean = events.stream().map(event -> isReserved(event.type())
                ? PlatformLog.event("an event of type " + event.type() + " from the crew was ignored: the type is reserved for Crewship")
                : projectSecrets.redact(event)).toList();
        synchronized (execution.eventLock) {
            List<Event> stored;
            try {
                stored = runs.appendEvents(execution.run.id(), clean, clock.instant());
            } catch (RuntimeException e) {
                // The run is gone (its project was deleted) or the store failed: nobody can see what it does.
                log.warn("run {}: events could not be stored; the run is killed", execution.run.id(), e);
                executor.kill(execution.run.id());
                return;
            }
            if (stored.isEmpty() && !clean.isEmpty()) {
                // The run was ended elsewhere (another node, recovery); what it still does is not wanted.
                executor.kill(execution.run.id());
                return;
            }
            for (Event event : stored) {
                execution.lastSeq = event.seq();
                bus.publish(event);
            }
        }
    }

    private static boolean isReserved(String type) {
        return type.startsWith("run.") || EventTypes.ARTIFACT.equals(type);
    }

    /** Publishes the stored events after {@code afterSeq} and returns the last sequence number. */
    private long publishStored(String runId, long afterSeq) {
        long last = afterSeq;
        while (true) {
            List<Event> batch = runs.events(runId, last, EVENT_READ_BATCH);
            for (Event event : batch) {
                bus.publish(event);
                last = event.seq();
            }
            if (batch.size() < EVENT_READ_BATCH) {
                return last;
            }
        }
    }

    /** One run executing on this node. */
    private final class Execution {
        private final Run run;
        private final Object eventLock = new Object();
        private final CompletableFuture<Void> done = new CompletableFuture<>();
        private volatile long lastSeq;
        private volatile boolean cancelRequested;
        private volatile boolean stopRequested;
        private boolean started;

        private Execution(Run run) {
            this.run = run;
        }

        void requestCancel() {
            synchronized (this) {
                cancelRequested = true;
                if (!started) {
                    return;
                }
            }
            killUntilGone();
        }

        void requestStop() {
            synchronized (this) {
                stopRequested = true;
                if (!started) {
                    return;
                }
            }
            killUntilGone();
        }

        /**
         * Kills the run, retrying while the executor does not know it yet: between {@code started}
         * and the executor registering the run there is a short window in which a kill finds nothing.
         */
        private void killUntilGone() {
            Thread.ofVirtual().name("crewship-kill-" + run.id()).start(() -> {
                while (!done.isDone() && !executor.kill(run.id())) {
                    try {
                        Thread.sleep(KILL_RETRY);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        }
    }
}

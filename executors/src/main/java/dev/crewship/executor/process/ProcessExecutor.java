package dev.crewship.executor.process;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.crewship.run.EventSink;
import dev.crewship.run.ExecutionRequest;
import dev.crewship.run.ExecutionResult;
import dev.crewship.run.Executor;
import dev.crewship.run.RunError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs each run as {@code /opt/venv/bin/python -m crewship_runtime} in a bubblewrap sandbox of its
 * own (see {@link SandboxCommand}): new user, pid, ipc, uts, cgroup and (unless the deployment allows
 * network) network namespaces, a read-only system, the deployment at {@code /app} read-only, a
 * private writable {@code /app/artifacts}, {@code /tmp} and {@code /dev/shm}, and the limits of
 * crewship.toml applied with {@code prlimit}.
 *
 * <p>Host uids: when the server runs as root, every run gets a host uid of its own from a pool
 * ({@link ProcessExecutorConfig#firstRunUid()}); crews never run as host root (root is exempt from
 * RLIMIT_NPROC), other runs' files are unreadable to them, and the artifacts folder belongs to that
 * uid while the run executes. A server that is not root runs every sandbox as its own uid: mounts still
 * separate runs, and the process limit still counts per sandbox on Linux 5.14 or newer (counted per
 * user namespace), but on older kernels it counts all processes of the server's user, and files a
 * crew leaves behind belong to the server's user.
 *
 * <p>Everything the runs need from the host must be traversable by the run's uid: the server keeps
 * its data dir mode 0711 and the deployment's files, environment and runtime world-readable. When that
 * is not so, the run fails with a {@code SandboxError} that names the path.
 *
 * <p>After the run, the artifacts folder belongs to the server again, private to it, and holds only
 * folders and regular files (links and special files the crew made are deleted).
 *
 * <p>Processes are started from one long-lived platform thread: bubblewrap's {@code --die-with-parent}
 * uses the parent-death signal, which fires when the <em>thread</em> that started the process ends,
 * and the carrier threads of virtual threads come and go.
 */
public final class ProcessExecutor implements Executor, AutoCloseable {
    /** How long a killed run's processes may take to disappear before its uid is held back. */
    static final Duration KILL_GRACE = Duration.ofSeconds(10);

    /** After its sandbox's processes were killed, how long bubblewrap gets to reap them and exit before it is killed too. */
    static final Duration SANDBOX_EXIT_GRACE = Duration.ofSeconds(2);

    private static final Logger log = LoggerFactory.getLogger(ProcessExecutor.class);

    private final ProcessExecutorConfig config;
    private final HostUser server = HostUser.current();
    private final RunUidPool uids;
    private final String description;
    private final ObjectMapper json = new ObjectMapper();
    private final ProtocolParser parser = new ProtocolParser(json);
    private final Map<String, RunningCrew> running = new ConcurrentHashMap<>();
    private final ExecutorService launcher = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().name("crewship-crew-launcher").daemon().factory());
    /** Null when runs always start cold (unsandboxed, or warm starts switched off). */
    private final WarmPool warm;
    private final java.util.concurrent.atomic.AtomicLong warmRuns = new java.util.concurrent.atomic.AtomicLong();

    /**
     * @throws IllegalStateException when the sandbox mode is BUBBLEWRAP and bubblewrap is missing
     */
    public ProcessExecutor(ProcessExecutorConfig config) {
        this.config = config;
        boolean sandboxed = config.sandbox() == SandboxMode.BUBBLEWRAP;
        this.uids = sandboxed && server.isRoot() ? new RunUidPool(config.firstRunUid(), config.runUidCount()) : null;
        if (!sandboxed) {
            this.description = "process (UNSANDBOXED: development only, crews run with the server's privileges)";
            log.warn("The process executor runs crews WITHOUT a sandbox: every crew can read and change everything the server can."
                    + " Use this only for development.");
        } else {
            String version = BubblewrapProbe.version()
                    .orElseThrow(() -> new IllegalStateException("bubblewrap is not installed (" + SandboxCommand.BWRAP + ")"));
            this.description = (uids != null
                    ? "process (" + version + ", one host uid per run from " + uids.describe()
                    : "process (" + version + ", sandboxes run as the server's uid " + server.uid())
                    + (config.warmStarts().enabled() ? ", warm starts)" : ")");
        }
        this.warm = sandboxed && config.warmStarts().enabled()
                ? new WarmPool(config.warmStarts(), this::startWarmParent, this::warmParentStopped)
                : null;
    }

    @Override
    public ExecutionResult execute(ExecutionRequest request, EventSink sink) throws InterruptedException {
        RunningCrew crew = new RunningCrew(config.sandbox() == SandboxMode.BUBBLEWRAP ? SANDBOX_EXIT_GRACE : Duration.ZERO);
        if (running.putIfAbsent(request.runId(), crew) != null) {
            throw new IllegalStateException("run " + request.runId() + " is already executing");
        }
        try {
            Optional<RunError> problem = preflight(request);
            if (problem.isPresent()) {
                return ExecutionResult.failed(problem.get());
            }
            if (warm != null) {
                Optional<ExecutionResult> warmResult = executeWarm(request, sink, crew);
                if (warmResult.isPresent()) {
                    return warmResult.get();
                }
            }
            if (uids == null) {
                return executeAs(request, sink, crew, OptionalInt.empty());
            }
            int uid = uids.acquire();
            try {
                return executeAs(request, sink, crew, OptionalInt.of(uid));
            } finally {
                if (ProcessTree.awaitExit(crew.signalled(), KILL_GRACE)) {
                    uids.release(uid);
                } else {
                    log.error("run {}: processes of host uid {} survived SIGKILL; the uid stays out of the pool", request.runId(), uid);
                }
            }
        } finally {
            running.remove(request.runId(), crew);
        }
    }

    @Override
    public boolean kill(String runId) {
        RunningCrew crew = running.get(runId);
        return crew != null && crew.requestKill();
    }

    @Override
    public String describe() {
        return description;
    }

    /** Kills every run still executing here, stops the warm parents and the launcher thread. */
    @Override
    public void close() {
        running.values().forEach(RunningCrew::requestKill);
        if (warm != null) {
            warm.close();
        }
        launcher.shutdown();
    }

    /** Runs executed as children of a warm parent since this executor started. */
    long warmRuns() {
        return warmRuns.get();
    }

    /** Warm parents alive now. */
    int warmParents() {
        return warm == null ? 0 : warm.size();
    }

    /**
     * Runs the crew as a child of a ready warm parent, when there is one. Empty when the run must
     * start cold instead: no parent is ready yet (one is started for later runs), or the child could
     * not be set up, before anything of the crew ran.
     */
    private Optional<ExecutionResult> executeWarm(ExecutionRequest request, EventSink sink, RunningCrew crew) throws InterruptedException {
        Path scratch = request.artifactsDir().getParent();
        Path socket = scratch.resolve(WarmRun.SOCKET_NAME);
        if (socket.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > WarmRun.MAX_SOCKET_PATH_BYTES) {
            log.debug("run {} starts cold: the socket path {} is too long for a Unix socket", request.runId(), socket);
            return Optional.empty();
        }
        Optional<WarmParent> parent = warm.acquire(request, scratch.getParent());
        if (parent.isEmpty()) {
            return Optional.empty();
        }
        try {
            Optional<ExecutionResult> result = new WarmRun(request, parent.get(), crew, parser, runSpec(request, true)).execute(sink);
            if (result.isPresent()) {
                warmRuns.incrementAndGet();
                takeBackArtifacts(request, crew, parent.get().uid());
            }
            return result;
        } finally {
            warm.release(parent.get());
        }
    }

    private Optional<WarmParent> startWarmParent(ExecutionRequest request, WarmKey key) throws IOException, InterruptedException {
        OptionalInt uid = OptionalInt.empty();
        if (uids != null) {
            uid = uids.tryAcquireSpare();
            if (uid.isEmpty()) {
                return Optional.empty(); // the uids are needed by runs: no room for a parent now
            }
        }
        try {
            Process process = launch(SandboxCommand.warmParent(request, config.runtimeDir(), key.runsRoot(), uid));
            log.info("warm parent of deployment {} started (pid {})", key.deploymentId(), process.pid());
            return Optional.of(WarmParent.started(key, process, uid));
        } catch (IOException | RuntimeException e) {
            uid.ifPresent(uids::release);
            throw e;
        }
    }

    private void warmParentStopped(WarmParent parent, boolean gone) {
        log.info("warm parent of deployment {} stopped", parent.key().deploymentId());
        if (parent.uid().isPresent()) {
            if (gone) {
                uids.release(parent.uid().getAsInt());
            } else {
                log.error("warm parent of deployment {}: processes of host uid {} survived SIGKILL; the uid stays out of the pool",
                        parent.key().deploymentId(), parent.uid().getAsInt());
            }
        }
    }

    /**
     * Runs the crew and ends with every process it started gone (returns normally only then) and
     * the artifacts folder given back to the server.
     */
    private ExecutionResult executeAs(ExecutionRequest request, EventSink sink, RunningCrew crew, OptionalInt uid)
            throws InterruptedException {
        Path home = null;
        try {
            SandboxCommand command;
            if (config.sandbox() == SandboxMode.BUBBLEWRAP) {
                if (uid.isPresent()) {
                    ArtifactsFolder.handOver(request.artifactsDir(), uid.getAsInt());
                }
                command = SandboxCommand.bubblewrap(request, config.runtimeDir(), uid);
            } else {
                log.warn("run {} executes UNSANDBOXED: the crew runs with the server's privileges and sees the whole filesystem",
                        request.runId());
                home = Files.createTempDirectory("crewship-home-");
                command = SandboxCommand.unsandboxed(request, config.runtimeDir(), home);
            }
            if (crew.killRequested()) {
                return killed();
            }
            Process process = launch(command);
            CrewProcess crewProcess = CrewProcess.start(request.runId(), process, parser, sink, runSpec(request, false));
            if (!crew.attach(process)) {
                crewProcess.awaitExitAfterKill(KILL_GRACE);
                crewProcess.finishReading(KILL_GRACE);
                return killed();
            }
            return await(request, crew, crewProcess);
        } catch (IOException e) {
            return ExecutionResult.failed(RunError.of(FailureDiagnosis.SANDBOX_ERROR, "the sandbox could not be started: " + e.getMessage()));
        } finally {
            takeBackArtifacts(request, crew, uid);
            if (home != null) {
                deleteTree(home);
            }
        }
    }

    /** Only once every process of the run is gone: nothing may write into the folder while it changes hands. */
    void takeBackArtifacts(ExecutionRequest request, RunningCrew crew, OptionalInt uid) throws InterruptedException {
        if (!ProcessTree.awaitExit(crew.signalled(), KILL_GRACE)) {
            log.error("run {}: its processes survived SIGKILL; its artifacts folder {} stays with the run's uid",
                    request.runId(), request.artifactsDir());
            return;
        }
        try {
            ArtifactsFolder.takeBack(request.artifactsDir(), server, uid.isPresent());
        } catch (IOException e) {
            log.error("run {}: cannot take back its artifacts folder {}: {}", request.runId(), request.artifactsDir(), e.toString());
        }
    }

    private ExecutionResult await(ExecutionRequest request, RunningCrew crew, CrewProcess crewProcess) throws InterruptedException {
        CrewProcess.Ending ending;
        try {
            ending = crewProcess.await(request.config().timeout());
        } catch (InterruptedException e) {
            crew.terminate();
            crewProcess.awaitExitAfterKill(KILL_GRACE);
            crewProcess.finishReading(KILL_GRACE);
            throw e;
        }
        if (ending != CrewProcess.Ending.EXITED) {
            crew.terminate();
            crewProcess.awaitExitAfterKill(KILL_GRACE);
        }
        boolean killed = crew.end();
        crewProcess.finishReading(KILL_GRACE);

        if (killed) {
            return killed();
        }
        if (ending == CrewProcess.Ending.TIMED_OUT) {
            return new ExecutionResult(ExecutionResult.Outcome.TIMED_OUT, null, null, RunError.of("Timeout",
                    "run exceeded its timeout of " + HumanDuration.format(request.config().timeout())));
        }
        return switch (crewProcess.terminalMessage()) {
            case ProtocolMessage.Result result -> ExecutionResult.succeeded(result.output(), result.values());
            case ProtocolMessage.Failure failure ->
                    ExecutionResult.failed(FailureDiagnosis.explainCrewError(failure.error(), request.config()));
            case null -> ExecutionResult.failed(FailureDiagnosis.explainExit(
                    crewProcess.exitStatus(), crewProcess.stderr(), request.config(), crewProcess.droppedOversizedLine()));
            default -> throw new IllegalStateException("unexpected terminal message " + crewProcess.terminalMessage());
        };
    }

    static ExecutionResult killed() {
        return new ExecutionResult(ExecutionResult.Outcome.KILLED, null, null, RunError.of("Killed", "the run was killed"));
    }

    /** Problems the caller can see before anything starts; reported as a failed run rather than thrown. */
    private Optional<RunError> preflight(ExecutionRequest request) {
        if (!Files.isDirectory(request.sourceDir())) {
            return sandboxError("the deployment's source folder " + request.sourceDir() + " does not exist");
        }
        if (!Files.isExecutable(request.environmentDir().resolve("bin/python"))) {
            return sandboxError("the deployment's Python environment " + request.environmentDir() + " has no bin/python");
        }
        if (!Files.isDirectory(request.artifactsDir())) {
            return sandboxError("the run's artifacts folder " + request.artifactsDir() + " does not exist");
        }
        if (config.sandbox() == SandboxMode.BUBBLEWRAP && !Files.isDirectory(request.sourceDir().resolve("artifacts"))) {
            // /app is mounted read-only, so the mount point of /app/artifacts must already be there.
            return sandboxError("the deployment's source folder " + request.sourceDir() + " has no artifacts/ folder to mount the run's artifacts on");
        }
        return Optional.empty();
    }

    private static Optional<RunError> sandboxError(String message) {
        return Optional.of(RunError.of(FailureDiagnosis.SANDBOX_ERROR, message));
    }

    private Process launch(SandboxCommand command) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command.argv()).directory(command.workingDir().toFile());
        builder.environment().clear();
        builder.environment().putAll(command.env());
        Future<Process> started = launcher.submit(builder::start);
        try {
            return started.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IllegalStateException("starting the crew failed", e.getCause());
        } catch (InterruptedException e) {
            // The launcher starts the process regardless; nobody would end it once this run gives up.
            killWhenStarted(started);
            throw e;
        }
    }

    private static void killWhenStarted(Future<Process> started) {
        boolean interrupted = false;
        while (true) {
            try {
                ProcessTree.kill(started.get().toHandle(), Duration.ZERO);
                break;
            } catch (InterruptedException again) {
                interrupted = true;
            } catch (ExecutionException notStarted) {
                break;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }


    /** The run spec line; a warm run's also carries its environment ({@code env}), which a cold run gets from its process. */
    private byte[] runSpec(ExecutionRequest request, boolean withEnvironment) {
        ObjectNode spec = JsonNodeFactory.instance.objectNode();
        if (withEnvironment) {
            ObjectNode env = spec.putObject("env");
            SandboxCommand.sandboxEnvironment(request).forEach(env::put);
        }
        spec.put("v", ProtocolParser.PROTOCOL_VERSION);
        spec.put("run_id", request.runId());
        spec.put("deployment_id", request.deploymentId());
        spec.put("entrypoint", request.config().entrypoint());
        spec.set("input", request.input() == null ? JsonNodeFactory.instance.objectNode() : request.input());
        spec.set("values", request.values() == null ? NullNode.getInstance() : request.values());
        try {
            byte[] line = json.writeValueAsBytes(spec);
            byte[] withNewline = Arrays.copyOf(line, line.length + 1);
            withNewline[line.length] = '\n';
            return withNewline;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize the run spec", e);
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            log.warn("could not delete {}: {}", root, e.toString());
        }
    }
}

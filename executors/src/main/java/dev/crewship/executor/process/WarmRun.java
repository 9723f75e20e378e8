package dev.crewship.executor.process;

import dev.crewship.run.EventSink;
import dev.crewship.run.ExecutionRequest;
import dev.crewship.run.ExecutionResult;
import dev.crewship.run.RunError;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run as the child of a warm parent. The executor listens on a Unix socket in the run's scratch
 * folder; the child connects to it before it hides the runs' folders, receives the run spec (with its
 * environment) and speaks the protocol over it. The parent reports how the child ended.
 */
final class WarmRun {
    static final String SOCKET_NAME = "protocol.sock";
    /** sun_path holds 108 bytes with the terminating zero. */
    static final int MAX_SOCKET_PATH_BYTES = 107;
    /** How long a forked child may take to connect; it is killed after that and the run starts cold. */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private static final Logger log = LoggerFactory.getLogger(WarmRun.class);

    private final ExecutionRequest request;
    private final WarmParent parent;
    private final RunningCrew crew;
    private final ProtocolParser parser;
    private final byte[] runSpec;

    WarmRun(ExecutionRequest request, WarmParent parent, RunningCrew crew, ProtocolParser parser, byte[] runSpec) {
        this.request = request;
        this.parent = parent;
        this.crew = crew;
        this.parser = parser;
        this.runSpec = runSpec;
    }

    /** The run's result; empty when the child could not be set up and nothing of the crew ran (start it cold then). */
    Optional<ExecutionResult> execute(EventSink sink) throws InterruptedException {
        String runId = request.runId();
        Path scratch = request.artifactsDir().getParent();
        Path socket = scratch.resolve(SOCKET_NAME);
        try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            listener.bind(UnixDomainSocketAddress.of(socket));
            handOver(socket, parent.uid());
            if (parent.uid().isPresent()) {
                ArtifactsFolder.handOver(request.artifactsDir(), parent.uid().getAsInt());
            }
            CompletableFuture<SocketChannel> accepted = new CompletableFuture<>();
            Thread.ofVirtual().name("warm-accept-" + runId).start(() -> {
                try {
                    accepted.complete(listener.accept());
                } catch (IOException e) {
                    accepted.completeExceptionally(e);
                }
            });
            CompletableFuture<WarmParent.Exit> exit = parent.fork(runId, scratch.getParent().relativize(scratch).toString());
            if (!crew.attachWarm(() -> parent.kill(runId))) {
                CrewProcess.completes(exit, ProcessExecutor.KILL_GRACE.toNanos());
                return Optional.of(ProcessExecutor.killed());
            }
            CrewProcess.completes(CompletableFuture.anyOf(accepted, exit), CONNECT_TIMEOUT.toNanos());
            if (!accepted.isDone() || accepted.isCompletedExceptionally()) {
                parent.kill(runId);
                CrewProcess.completes(exit, ProcessExecutor.KILL_GRACE.toNanos());
                crew.detachWarm();
                if (crew.killRequested()) {
                    return Optional.of(ProcessExecutor.killed());
                }
                log.warn("run {}: the warm parent of deployment {} could not start it ({}); it starts cold",
                        runId, request.deploymentId(), exit.isDone() ? "its child ended with status " + exit.getNow(null).status() : "no connection");
                return Optional.empty();
            }
            try (SocketChannel connection = accepted.join()) {
                ByteBuffer spec = ByteBuffer.wrap(runSpec);
                while (spec.hasRemaining()) {
                    connection.write(spec);
                }
                connection.shutdownOutput();
                ProtocolStream protocol = ProtocolStream.read(runId, Channels.newInputStream(connection), parser, sink);
                return Optional.of(await(protocol, exit));
            }
        } catch (IOException e) {
            crew.detachWarm();
            log.warn("run {}: warm start failed ({}); it starts cold", runId, e.toString());
            return Optional.empty();
        } finally {
            try {
                Files.deleteIfExists(socket);
            } catch (IOException e) {
                log.debug("run {}: could not delete {}: {}", runId, socket, e.toString());
            }
        }
    }

    /** As {@link ProcessExecutor}'s cold wait: timeout, a crew that does not exit after its result, kills. */
    private ExecutionResult await(ProtocolStream protocol, CompletableFuture<WarmParent.Exit> exit) throws InterruptedException {
        Duration timeout = request.config().timeout();
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean timedOut;
        try {
            timedOut = !CrewProcess.completes(CompletableFuture.anyOf(exit, protocol.terminal()), timeout.toNanos());
            if (!timedOut && !exit.isDone()) {
                long grace = Math.min(CrewProcess.EXIT_GRACE.toNanos(), Math.max(0, deadline - System.nanoTime()));
                if (!CrewProcess.completes(exit, grace)) {
                    parent.kill(request.runId()); // reported its result but does not exit
                }
            }
        } catch (InterruptedException e) {
            parent.kill(request.runId());
            CrewProcess.completes(exit, ProcessExecutor.KILL_GRACE.toNanos());
            protocol.close();
            throw e;
        }
        if (timedOut) {
            parent.kill(request.runId());
        }
        if (!CrewProcess.completes(exit, ProcessExecutor.KILL_GRACE.toNanos())) {
            log.error("run {}: its warm child did not end within {} after SIGKILL", request.runId(), ProcessExecutor.KILL_GRACE);
        }
        boolean killed = crew.end();
        if (!protocol.awaitEnd(ProcessExecutor.KILL_GRACE)) {
            log.warn("run {}: {} still open after the crew ended; no longer reading it", request.runId(), protocol.readerName());
        }
        protocol.close();

        if (killed) {
            return ProcessExecutor.killed();
        }
        if (timedOut) {
            return new ExecutionResult(ExecutionResult.Outcome.TIMED_OUT, null, null, RunError.of("Timeout",
                    "run exceeded its timeout of " + HumanDuration.format(timeout)));
        }
        return switch (protocol.terminalMessage()) {
            case ProtocolMessage.Result result -> ExecutionResult.succeeded(result.output(), result.values());
            case ProtocolMessage.Failure failure -> ExecutionResult.failed(FailureDiagnosis.explainCrewError(failure.error(), request.config()));
            case null -> ExecutionResult.failed(FailureDiagnosis.explainExit(
                    exitStatus(exit), new OutputTail(1, 1), request.config(), protocol.droppedOversizedLine()));
            default -> throw new IllegalStateException("unexpected terminal message " + protocol.terminalMessage());
        };
    }

    private static int exitStatus(CompletableFuture<WarmParent.Exit> exit) {
        try {
            return exit.isDone() ? exit.get().status() : 128 + 9;
        } catch (InterruptedException | ExecutionException e) {
            return 128 + 9;
        }
    }

    /** The socket belongs to the run's uid, private to it: other runs' children cannot connect to it. */
    private static void handOver(Path socket, OptionalInt uid) throws IOException {
        if (uid.isPresent()) {
            Files.setAttribute(socket, "unix:uid", uid.getAsInt(), LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(socket, "unix:gid", uid.getAsInt(), LinkOption.NOFOLLOW_LINKS);
        }
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
    }
}

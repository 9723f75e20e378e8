package dev.crewship.executor.process;

import dev.crewship.run.EventSink;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One started crew process (a cold start) and its three pipes: the run spec goes to stdin, the
 * protocol channel (stdout) is read by a {@link ProtocolStream}, and stderr is kept as a short tail
 * for failure messages.
 */
final class CrewProcess {
    /** Once the crew reported its result, how long it may take to exit by itself before it is killed. */
    static final Duration EXIT_GRACE = Duration.ofSeconds(5);

    private static final Logger log = LoggerFactory.getLogger(CrewProcess.class);
    private static final int MAX_STDERR_LINE_BYTES = 64 * 1024;

    /** How waiting for the crew ended. */
    enum Ending {
        /** The process exited (by itself, or because it was killed). */
        EXITED,
        /** The crew reported its result or error but did not exit within {@link #EXIT_GRACE}. */
        LINGERING,
        /** The run's timeout passed first. */
        TIMED_OUT
    }

    private final String runId;
    private final Process process;
    private final ProtocolStream protocol;
    private final OutputTail stderr = new OutputTail(40, 1000);
    private final Thread stderrReader;

    private CrewProcess(String runId, Process process, ProtocolParser parser, EventSink sink, byte[] runSpec) {
        this.runId = runId;
        this.process = process;
        Thread.ofVirtual().name("crew-stdin-" + runId).start(() -> writeSpec(runSpec));
        this.protocol = ProtocolStream.read(runId, process.getInputStream(), parser, sink);
        this.stderrReader = Thread.ofVirtual().name("crew-stderr-" + runId).start(this::readStderr);
    }

    static CrewProcess start(String runId, Process process, ProtocolParser parser, EventSink sink, byte[] runSpec) {
        return new CrewProcess(runId, process, parser, sink, runSpec);
    }

    /** Waits for the crew to end, at most {@code timeout}. */
    Ending await(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        if (!completes(CompletableFuture.anyOf(process.onExit(), protocol.terminal()), timeout.toNanos())) {
            return Ending.TIMED_OUT;
        }
        if (!process.isAlive()) {
            return Ending.EXITED;
        }
        long grace = Math.min(EXIT_GRACE.toNanos(), Math.max(0, deadline - System.nanoTime()));
        return completes(process.onExit(), grace) ? Ending.EXITED : Ending.LINGERING;
    }

    /** Waits (bounded) for the process to be gone after it was killed. */
    void awaitExitAfterKill(Duration grace) throws InterruptedException {
        if (!completes(process.onExit(), grace.toNanos())) {
            log.error("run {}: process {} did not exit within {} after SIGKILL", runId, process.pid(), grace);
        }
    }

    static boolean completes(CompletableFuture<?> future, long nanos) throws InterruptedException {
        try {
            future.get(nanos, TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            throw new IllegalStateException("waiting for the crew failed", e.getCause());
        }
    }

    /**
     * Waits (bounded) until the pipes are drained, then stops passing events on: once this returns,
     * the sink receives nothing more from this run. The pipes reach their end when every process that
     * inherited them is gone, which the sandbox's pid namespace guarantees.
     */
    void finishReading(Duration grace) throws InterruptedException {
        long deadline = System.nanoTime() + grace.toNanos();
        if (!protocol.awaitEnd(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())))) {
            log.warn("run {}: {} still open after the crew ended (a leftover process holds it); no longer reading it",
                    runId, protocol.readerName());
        }
        if (!stderrReader.join(Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime())))) {
            log.warn("run {}: {} still open after the crew ended (a leftover process holds it); no longer reading it",
                    runId, stderrReader.getName());
        }
        protocol.close();
    }

    /** The result or error the crew reported, or null when it reported neither. */
    ProtocolMessage terminalMessage() {
        return protocol.terminalMessage();
    }

    boolean droppedOversizedLine() {
        return protocol.droppedOversizedLine();
    }

    OutputTail stderr() {
        return stderr;
    }

    int exitStatus() {
        return process.exitValue();
    }

    private void writeSpec(byte[] runSpec) {
        try (OutputStream stdin = process.getOutputStream()) {
            stdin.write(runSpec);
        } catch (IOException e) {
            // The crew exited before reading its spec; its exit status tells why.
            log.debug("run {}: could not write the run spec: {}", runId, e.toString());
        }
    }

    private void readStderr() {
        try (InputStream err = process.getErrorStream()) {
            BoundedLineReader reader = new BoundedLineReader(err, MAX_STDERR_LINE_BYTES);
            BoundedLineReader.Line line;
            while ((line = reader.next()) != null) {
                stderr.add(line.text());
            }
        } catch (IOException e) {
            log.debug("run {}: stderr closed: {}", runId, e.toString());
        }
    }
}

package dev.crewship.executor.process;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.crewship.event.EventTypes;
import dev.crewship.event.NewEvent;
import dev.crewship.run.EventSink;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One started crew process and its three pipes: the run spec goes to stdin, the protocol channel
 * (stdout) is read on a virtual thread and turned into events for the sink, in order, and stderr
 * is kept as a short tail for failure messages.
 */
final class CrewProcess {
    /** Longest protocol line (in practice: the result). Longer lines are dropped and reported. */
    static final int MAX_PROTOCOL_LINE_BYTES = 16 * 1024 * 1024;
    /** Longest message of a {@code log} event made from a line that breaks the protocol (as the runtime cuts crew output). */
    static final int MAX_LOG_MESSAGE_CHARS = 16 * 1024;
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
    private final ProtocolParser parser;
    private final EventSink sink;
    private final CompletableFuture<ProtocolMessage> terminal = new CompletableFuture<>();
    private final OutputTail stderr = new OutputTail(40, 1000);
    private final ReentrantLock emitting = new ReentrantLock();
    private boolean closed;
    private volatile boolean droppedOversizedLine;
    private final Thread stdoutReader;
    private final Thread stderrReader;

    private CrewProcess(String runId, Process process, ProtocolParser parser, EventSink sink, byte[] runSpec) {
        this.runId = runId;
        this.process = process;
        this.parser = parser;
        this.sink = sink;
        Thread.ofVirtual().name("crew-stdin-" + runId).start(() -> writeSpec(runSpec));
        this.stdoutReader = Thread.ofVirtual().name("crew-stdout-" + runId).start(this::readProtocol);
        this.stderrReader = Thread.ofVirtual().name("crew-stderr-" + runId).start(this::readStderr);
    }

    static CrewProcess start(String runId, Process process, ProtocolParser parser, EventSink sink, byte[] runSpec) {
        return new CrewProcess(runId, process, parser, sink, runSpec);
    }

    /** Waits for the crew to end, at most {@code timeout}. */
    Ending await(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        if (!completes(CompletableFuture.anyOf(process.onExit(), terminal), timeout.toNanos())) {
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

    private static boolean completes(CompletableFuture<?> future, long nanos) throws InterruptedException {
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
        for (Thread reader : new Thread[] {stdoutReader, stderrReader}) {
            long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
            if (!reader.join(Duration.ofMillis(left))) {
                log.warn("run {}: {} still open after the crew ended (a leftover process holds it); no longer reading it",
                        runId, reader.getName());
            }
        }
        emitting.lock();
        try {
            closed = true;
        } finally {
            emitting.unlock();
        }
    }

    /** The result or error the crew reported, or null when it reported neither. */
    ProtocolMessage terminalMessage() {
        return terminal.getNow(null);
    }

    boolean droppedOversizedLine() {
        return droppedOversizedLine;
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

    private void readProtocol() {
        try (InputStream stdout = process.getInputStream()) {
            BoundedLineReader reader = new BoundedLineReader(stdout, MAX_PROTOCOL_LINE_BYTES);
            BoundedLineReader.Line line;
            while ((line = reader.next()) != null) {
                if (line.truncated()) {
                    droppedOversizedLine = true;
                    unreadable(line.text(), "protocol line of " + line.length() + " bytes exceeds the limit");
                } else if (!line.text().isBlank()) {
                    handle(parser.parse(line.text()));
                }
            }
        } catch (IOException e) {
            log.debug("run {}: protocol channel closed: {}", runId, e.toString());
        }
    }

    private void handle(ProtocolMessage message) {
        switch (message) {
            case ProtocolMessage.Event event -> emit(new NewEvent(event.type(), event.data()));
            case ProtocolMessage.Result result -> terminal(result);
            case ProtocolMessage.Failure failure -> terminal(failure);
            case ProtocolMessage.Unreadable bad -> unreadable(bad.line(), bad.reason());
        }
    }

    private void terminal(ProtocolMessage message) {
        if (!terminal.complete(message)) {
            log.warn("run {}: ignoring a second result/error message from the crew", runId);
        }
    }

    private void unreadable(String line, String reason) {
        log.debug("run {}: protocol line shown as output ({})", runId, reason);
        ObjectNode data = JsonNodeFactory.instance.objectNode();
        data.put("message", line.length() > MAX_LOG_MESSAGE_CHARS ? line.substring(0, MAX_LOG_MESSAGE_CHARS) : line);
        data.put("stream", "stderr");
        emit(new NewEvent(EventTypes.LOG, data));
    }

    private void emit(NewEvent event) {
        emitting.lock();
        try {
            if (!closed) {
                sink.emit(event);
            }
        } catch (RuntimeException e) {
            // A failing sink must not stop the crew or lose its result; the run still ends normally.
            log.error("run {}: the event sink failed on a {} event", runId, event.type(), e);
        } finally {
            emitting.unlock();
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

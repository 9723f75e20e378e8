package dev.crewship.executor.process;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.crewship.event.EventTypes;
import dev.crewship.event.NewEvent;
import dev.crewship.run.EventSink;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads one run's protocol channel (a cold run's stdout, a warm run's socket) on a virtual thread:
 * events go to the sink in order, the result or error completes {@link #terminal()}, and lines that
 * break the protocol are shown as {@code log} events.
 */
final class ProtocolStream {
    /** Longest protocol line (in practice: the result). Longer lines are dropped and reported. */
    static final int MAX_LINE_BYTES = 16 * 1024 * 1024;
    /** Longest message of a {@code log} event made from a line that breaks the protocol (as the runtime cuts crew output). */
    static final int MAX_LOG_MESSAGE_CHARS = 16 * 1024;
    /** Most events handed to the sink at once (see {@link #read}). */
    static final int MAX_EVENTS_AT_ONCE = 256;

    private static final Logger log = LoggerFactory.getLogger(ProtocolStream.class);

    private final String runId;
    private final ProtocolParser parser;
    private final EventSink sink;
    private final CompletableFuture<ProtocolMessage> terminal = new CompletableFuture<>();
    private final ReentrantLock emitting = new ReentrantLock();
    private final Thread reader;
    private boolean closed;
    private volatile boolean droppedOversizedLine;

    private ProtocolStream(String runId, InputStream channel, ProtocolParser parser, EventSink sink) {
        this.runId = runId;
        this.parser = parser;
        this.sink = sink;
        this.reader = Thread.ofVirtual().name("crew-protocol-" + runId).start(() -> read(channel));
    }

    /** Starts reading {@code channel} until its end; the stream is closed by the reader when done. */
    static ProtocolStream read(String runId, InputStream channel, ProtocolParser parser, EventSink sink) {
        return new ProtocolStream(runId, channel, parser, sink);
    }

    /** Completes with the crew's result or error message. */
    CompletableFuture<ProtocolMessage> terminal() {
        return terminal;
    }

    /** The result or error the crew reported, or null when it reported neither. */
    ProtocolMessage terminalMessage() {
        return terminal.getNow(null);
    }

    boolean droppedOversizedLine() {
        return droppedOversizedLine;
    }

    /** Waits (bounded) for the channel's end; true when it ended. */
    boolean awaitEnd(Duration timeout) throws InterruptedException {
        return reader.join(timeout.isNegative() ? Duration.ofMillis(1) : timeout);
    }

    String readerName() {
        return reader.getName();
    }

    /** From now on nothing more reaches the sink, whatever the channel still carries. */
    void close() {
        emitting.lock();
        try {
            closed = true;
        } finally {
            emitting.unlock();
        }
    }

    /**
     * Events whose lines arrived together (a crew's output is written many lines at a time) go to
     * the sink together, which stores them in one transaction instead of one each: an event is
     * held only while the next line is already read, never waiting for more input.
     */
    private void read(InputStream channel) {
        List<NewEvent> pending = new ArrayList<>();
        try (InputStream in = channel) {
            BoundedLineReader reader = new BoundedLineReader(in, MAX_LINE_BYTES);
            BoundedLineReader.Line line;
            while ((line = reader.next()) != null) {
                if (line.truncated()) {
                    emitAll(pending);
                    droppedOversizedLine = true;
                    unreadable(line.text(), "protocol line of " + line.length() + " bytes exceeds the limit");
                } else if (!line.text().isBlank()) {
                    switch (parser.parse(line.text())) {
                        case ProtocolMessage.Event event -> pending.add(new NewEvent(event.type(), event.data()));
                        case ProtocolMessage.Result result -> {
                            emitAll(pending);
                            terminal(result);
                        }
                        case ProtocolMessage.Failure failure -> {
                            emitAll(pending);
                            terminal(failure);
                        }
                        case ProtocolMessage.Unreadable bad -> {
                            emitAll(pending);
                            unreadable(bad.line(), bad.reason());
                        }
                    }
                }
                if (pending.size() >= MAX_EVENTS_AT_ONCE || !reader.hasBufferedLine()) {
                    emitAll(pending);
                }
            }
        } catch (IOException e) {
            log.debug("run {}: protocol channel closed: {}", runId, e.toString());
        } finally {
            emitAll(pending);
        }
    }

    /** Hands the pending events to the sink and empties the list. */
    private void emitAll(List<NewEvent> pending) {
        if (!pending.isEmpty()) {
            List<NewEvent> events = List.copyOf(pending);
            pending.clear();
            deliver(events);
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
        deliver(List.of(event));
    }

    private void deliver(List<NewEvent> events) {
        emitting.lock();
        try {
            if (!closed) {
                if (events.size() == 1) {
                    sink.emit(events.getFirst());
                } else {
                    sink.emitAll(events);
                }
            }
        } catch (RuntimeException e) {
            // A failing sink must not stop the crew or lose its result; the run still ends normally.
            log.error("run {}: the event sink failed on {} event(s) starting with {}", runId, events.size(), events.getFirst().type(), e);
        } finally {
            emitting.unlock();
        }
    }
}

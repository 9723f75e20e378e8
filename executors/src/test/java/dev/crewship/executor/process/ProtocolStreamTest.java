package dev.crewship.executor.process;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.crewship.event.NewEvent;
import dev.crewship.run.EventSink;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * How the protocol channel's events reach the sink: lines that arrive together go as one batch (one
 * store transaction on the server), a line that arrives alone goes at once, and the order is the
 * crew's, results and unreadable lines included.
 */
class ProtocolStreamTest {
    private static final ProtocolParser PARSER = new ProtocolParser(new ObjectMapper());

    /** Records each delivery: one list per emit or emitAll call. */
    private static final class BatchSink implements EventSink {
        final List<List<String>> deliveries = new ArrayList<>();

        @Override
        public synchronized void emit(NewEvent event) {
            deliveries.add(List.of(message(event)));
            notifyAll();
        }

        @Override
        public synchronized void emitAll(List<NewEvent> events) {
            deliveries.add(events.stream().map(BatchSink::message).toList());
            notifyAll();
        }

        synchronized void awaitDeliveries(int count) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (deliveries.size() < count) {
                long left = deadline - System.nanoTime();
                assertThat(left).as("deliveries so far: %s", deliveries).isPositive();
                wait(Math.max(1, left / 1_000_000));
            }
        }

        private static String message(NewEvent event) {
            return event.type().equals("log") ? event.data().path("message").asText() : event.type();
        }
    }

    private static String log(String message) {
        return "{\"v\":1,\"kind\":\"event\",\"type\":\"log\",\"data\":{\"message\":\"" + message + "\",\"stream\":\"stdout\"}}\n";
    }

    private static final String AGENT_STARTED = "{\"v\":1,\"kind\":\"event\",\"type\":\"agent.started\",\"data\":{\"agent\":\"a\"}}\n";
    private static final String RESULT = "{\"v\":1,\"kind\":\"result\",\"output\":{\"ok\":true},\"values\":null}\n";

    @Test
    void linesThatArriveTogetherReachTheSinkTogetherAndInOrderBeforeTheResult() throws Exception {
        String written = log("one") + log("two") + AGENT_STARTED + "not json\n" + log("three") + RESULT + log("after");
        BatchSink sink = new BatchSink();

        ProtocolStream stream = ProtocolStream.read("run_batch", new ByteArrayInputStream(written.getBytes(StandardCharsets.UTF_8)), PARSER, sink);

        assertThat(stream.awaitEnd(Duration.ofSeconds(10))).isTrue();
        assertThat(stream.terminalMessage()).isInstanceOf(ProtocolMessage.Result.class);
        // An unreadable line and the result each end a batch: what came before is delivered first.
        assertThat(sink.deliveries).containsExactly(
                List.of("one", "two", "agent.started"), List.of("not json"), List.of("three"), List.of("after"));
    }

    @Test
    void aLineThatArrivesAloneIsDeliveredWithoutWaitingForMore() throws Exception {
        PipedOutputStream crew = new PipedOutputStream();
        BatchSink sink = new BatchSink();
        ProtocolStream stream = ProtocolStream.read("run_alone", new PipedInputStream(crew, 1 << 16), PARSER, sink);

        write(crew, log("first"));
        sink.awaitDeliveries(1);
        write(crew, AGENT_STARTED);
        sink.awaitDeliveries(2);
        write(crew, log("x") + log("y"));
        sink.awaitDeliveries(3);
        crew.close();

        assertThat(stream.awaitEnd(Duration.ofSeconds(10))).isTrue();
        assertThat(sink.deliveries).containsExactly(List.of("first"), List.of("agent.started"), List.of("x", "y"));
    }

    private static void write(PipedOutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}

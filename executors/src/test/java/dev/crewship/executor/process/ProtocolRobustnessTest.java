package dev.crewship.executor.process;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.crewship.event.NewEvent;
import dev.crewship.executor.process.CrewFixture.RecordingSink;
import dev.crewship.run.ExecutionResult;
import dev.crewship.run.ExecutionResult.Outcome;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The executor against a runtime that breaks the protocol on purpose (test resource
 * {@code scripted-runtime}): whatever arrives on the protocol channel, the executor neither crashes
 * nor trusts it, and a crew that dies without a result gets a reason a user can act on.
 */
class ProtocolRobustnessTest {
    private static CrewFixture fixture;
    private static ProcessExecutor executor;
    private static int runs;

    @BeforeAll
    static void setUp() {
        fixture = CrewFixture.create();
        // The scripted runtime stands in for crewship_runtime's cold start only: no warm parents here.
        executor = new ProcessExecutor(RunProcesses.bubblewrap(CrewFixture.resource("scripted-runtime")).withWarmStarts(WarmStarts.off()));
    }

    @AfterAll
    static void tearDown() {
        executor.close();
        fixture.close();
    }

    private static ExecutionResult run(ObjectNode script, RecordingSink sink) throws InterruptedException {
        return run(script, sink, CrewFixture.defaults());
    }

    private static ExecutionResult run(ObjectNode script, RecordingSink sink, dev.crewship.deployment.DeploymentConfig config)
            throws InterruptedException {
        return executor.execute(fixture.request("run_script" + (++runs), config, script.toString(), Map.of()), sink);
    }

    private static ObjectNode script(List<String> stdout, List<String> stderr, int exit) {
        ObjectNode script = CrewFixture.JSON.createObjectNode();
        ArrayNode out = script.putArray("stdout");
        stdout.forEach(out::add);
        ArrayNode err = script.putArray("stderr");
        stderr.forEach(err::add);
        script.put("exit", exit);
        return script;
    }

    @Test
    void linesThatBreakTheProtocolBecomeStderrLogsAndTheRunStillSucceeds() throws Exception {
        List<String> broken = List.of(
                "not json at all",
                "[1, 2, 3]",
                "{\"v\":2,\"kind\":\"event\",\"type\":\"log\",\"data\":{}}",
                "{\"v\":1,\"kind\":\"weird\"}",
                "{\"v\":1,\"kind\":\"event\",\"type\":\"run.completed\",\"data\":{\"duration_ms\":1}}",
                "{\"v\":1,\"kind\":\"event\",\"type\":\"artifact\",\"data\":{\"name\":\"x\",\"size\":1}}",
                "{\"v\":1,\"kind\":\"event\",\"type\":\"Bad Type\",\"data\":{}}",
                "{\"v\":1,\"kind\":\"event\",\"type\":\"agent.started\",\"data\":\"not an object\"}",
                "{\"v\":1,\"kind\":\"result\",\"output\":1,\"values\":[1]}");
        List<String> lines = new java.util.ArrayList<>(broken);
        lines.add("{\"v\":1,\"kind\":\"event\",\"type\":\"agent.started\",\"data\":{\"agent\":\"A\",\"task\":\"T\"}}");
        lines.add("{\"v\":1,\"kind\":\"result\",\"output\":{\"ok\":true},\"values\":{\"turn\":2}}");
        RecordingSink sink = new RecordingSink();

        ExecutionResult result = run(script(lines, List.of(), 0), sink);

        assertThat(result.outcome()).isEqualTo(Outcome.SUCCEEDED);
        assertThat(result.output()).hasToString("{\"ok\":true}");
        assertThat(result.values()).hasToString("{\"turn\":2}");
        List<NewEvent> events = sink.events();
        assertThat(events).hasSize(broken.size() + 1);
        for (int i = 0; i < broken.size(); i++) {
            assertThat(events.get(i).type()).isEqualTo("log");
            assertThat(events.get(i).data().get("message").asText()).isEqualTo(broken.get(i));
            assertThat(events.get(i).data().get("stream").asText()).isEqualTo("stderr");
        }
        assertThat(events.getLast().type()).isEqualTo("agent.started");
        assertThat(events.getLast().data()).hasToString("{\"agent\":\"A\",\"task\":\"T\"}");
    }

    @Test
    void anErrorMessageFailsTheRunWithItsTypeMessageAndTraceback() throws Exception {
        ExecutionResult result = run(script(List.of(
                "{\"v\":1,\"kind\":\"error\",\"error\":{\"type\":\"KeyError\",\"message\":\"'topic'\",\"traceback\":\"Traceback ...\"}}"),
                List.of(), 1), new RecordingSink());

        assertThat(result.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(result.error().type()).isEqualTo("KeyError");
        assertThat(result.error().message()).isEqualTo("'topic'");
        assertThat(result.error().traceback()).isEqualTo("Traceback ...");
    }

    @Test
    void anExitWithoutResultFailsWithTheStatusAndTheEndOfStderr() throws Exception {
        ExecutionResult result = run(script(List.of(), List.of("Traceback (most recent call last):", "ImportError: no module named crewai"), 3),
                new RecordingSink());

        assertThat(result.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(result.error().type()).isEqualTo("CrewCrashed");
        assertThat(result.error().message()).contains("exited with status 3").contains("ImportError: no module named crewai");
    }

    @Test
    void aCrewKilledBySignalIsReportedWithTheSignal() throws Exception {
        ObjectNode script = script(List.of(), List.of(), 0);
        script.put("signal", 9);

        ExecutionResult result = run(script, new RecordingSink());

        assertThat(result.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(result.error().message()).contains("SIGKILL").contains("exit status 137").contains("memory_mb = 1024");
    }

    @Test
    void aMemoryErrorBeforeTheProtocolStartedNamesTheMemoryLimit() throws Exception {
        ExecutionResult result = run(script(List.of(), List.of("Traceback (most recent call last):", "MemoryError"), 1),
                new RecordingSink());

        assertThat(result.error().type()).isEqualTo("MemoryError");
        assertThat(result.error().message()).contains("memory_mb = 1024");
    }

    @Test
    void usingUpTheCpuTimeLimitIsReportedAsSuch() throws Exception {
        ObjectNode script = script(List.of(), List.of(), 0);
        script.put("signal", 24);

        ExecutionResult result = run(script, new RecordingSink());

        assertThat(result.error().type()).isEqualTo("CpuTimeExceeded");
        assertThat(result.error().message()).contains("cpu_seconds = 600");
    }

    @Test
    void aProtocolLineBeyondTheLimitIsDroppedAndExplained() throws Exception {
        ObjectNode script = script(List.of(), List.of(), 0);
        script.put("big_line_bytes", ProtocolStream.MAX_LINE_BYTES + 10);
        RecordingSink sink = new RecordingSink();

        ExecutionResult result = run(script, sink);

        assertThat(result.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(result.error().message()).contains("larger than the protocol allows");
        assertThat(sink.events()).singleElement().satisfies(event -> {
            assertThat(event.type()).isEqualTo("log");
            assertThat(event.data().get("message").asText()).hasSize(ProtocolStream.MAX_LOG_MESSAGE_CHARS);
        });
    }

    @Test
    void aCrewThatDoesNotExitAfterItsResultIsEndedAndStillSucceeds() throws Exception {
        ObjectNode script = script(List.of("{\"v\":1,\"kind\":\"result\",\"output\":\"done\",\"values\":null}"), List.of(), 0);
        script.put("sleep", 120);

        ExecutionResult result = run(script, new RecordingSink(), CrewFixture.config(Duration.ofSeconds(60), 1024, 64, false));

        assertThat(result.outcome()).isEqualTo(Outcome.SUCCEEDED);
        assertThat(result.output().asText()).isEqualTo("done");
        assertThat(RunProcesses.ofRunUids()).isEmpty();
    }

    @Test
    void anUnsandboxedExecutorRunsTheSameRuntimeWithTheHostPaths() throws Exception {
        try (ProcessExecutor unsandboxed = new ProcessExecutor(ProcessExecutorConfig.unsandboxed(CrewFixture.resource("scripted-runtime")))) {
            ExecutionResult result = unsandboxed.execute(fixture.request("run_unsandboxed", CrewFixture.defaults(),
                    script(List.of("{\"v\":1,\"kind\":\"result\",\"output\":\"plain\",\"values\":null}"), List.of(), 0).toString(),
                    Map.of()), new RecordingSink());

            assertThat(unsandboxed.describe()).contains("UNSANDBOXED");
            assertThat(result.outcome()).isEqualTo(Outcome.SUCCEEDED);
            assertThat(result.output().asText()).isEqualTo("plain");
        }
    }
}

package dev.crewship.executor.process;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crewship.executor.process.CrewFixture.RecordingSink;
import dev.crewship.run.ExecutionResult;
import dev.crewship.run.ExecutionResult.Outcome;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Runs waiting for a uid, kills that arrive before a crew started, and closing the executor. */
class ProcessExecutorLifecycleTest {
    private static CrewFixture fixture;

    @BeforeAll
    static void setUp() {
        fixture = CrewFixture.create();
    }

    @AfterAll
    static void tearDown() {
        fixture.close();
    }

    @AfterEach
    void noSandboxIsLeftBehind() {
        assertThat(RunProcesses.ofRunUids()).isEmpty();
    }

    @Test
    void aRunWaitsForAFreeUidAndAKillEndsItBeforeItEverStarts() throws Exception {
        ProcessExecutorConfig oneUid = new ProcessExecutorConfig(CrewFixture.runtime(), SandboxMode.BUBBLEWRAP,
                RunProcesses.FIRST_RUN_UID, 1);
        try (ProcessExecutor executor = new ProcessExecutor(oneUid);
             ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            RecordingSink firstSink = new RecordingSink();
            Future<ExecutionResult> first = callers.submit(() -> executor.execute(
                    fixture.request("run_first", CrewFixture.defaults(), "{\"action\":\"tree\"}", Map.of()), firstSink));
            firstSink.await("tree.ready", Duration.ofSeconds(30));
            RecordingSink waitingSink = new RecordingSink();
            Future<ExecutionResult> waiting = callers.submit(() -> executor.execute(
                    fixture.request("run_waiting", CrewFixture.defaults(), "{\"action\":\"echo\",\"tag\":\"w\"}", Map.of()), waitingSink));
            Thread.sleep(300);
            assertThat(waiting).isNotDone();

            assertThat(executor.kill("run_waiting")).isTrue();
            assertThat(executor.kill("run_first")).isTrue();

            assertThat(first.get().outcome()).isEqualTo(Outcome.KILLED);
            assertThat(waiting.get().outcome()).isEqualTo(Outcome.KILLED);
            assertThat(waitingSink.events()).as("the waiting crew never started").isEmpty();

            ExecutionResult next = executor.execute(fixture.request("run_next", CrewFixture.defaults(),
                    "{\"action\":\"echo\",\"tag\":\"n\"}", Map.of()), new RecordingSink());
            assertThat(next.outcome()).as("the uid went back to the pool").isEqualTo(Outcome.SUCCEEDED);
        }
    }

    @Test
    void closingTheExecutorKillsTheRunsStillExecuting() throws Exception {
        ProcessExecutor executor = new ProcessExecutor(RunProcesses.bubblewrap(CrewFixture.runtime()));
        try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            RecordingSink sink = new RecordingSink();
            Future<ExecutionResult> running = callers.submit(() -> executor.execute(
                    fixture.request("run_closing", CrewFixture.defaults(), "{\"action\":\"tree\"}", Map.of()), sink));
            sink.await("tree.ready", Duration.ofSeconds(30));

            executor.close();

            assertThat(running.get().outcome()).isEqualTo(Outcome.KILLED);
        }
    }
}

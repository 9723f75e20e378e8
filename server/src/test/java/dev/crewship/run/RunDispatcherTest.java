package dev.crewship.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.crewship.error.CrewshipException;
import dev.crewship.error.ProblemType;
import dev.crewship.event.Event;
import dev.crewship.event.EventTypes;
import dev.crewship.event.NewEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RunDispatcherTest {
    private final RunsFixture fixture = new RunsFixture();
    private final List<RunDispatcher> dispatchers = new ArrayList<>();

    @AfterEach
    void tearDown() {
        dispatchers.forEach(RunDispatcher::close);
        fixture.close();
    }

    private RunDispatcher started(RunDispatcher dispatcher) {
        dispatchers.add(dispatcher);
        dispatcher.start();
        return dispatcher;
    }

    private static ExecutionResult succeedWithInput(ExecutionRequest request) {
        return ExecutionResult.succeeded(JsonNodeFactory.instance.objectNode().set("echo", request.input()), null);
    }

    private static void assertWellFormedEvents(List<Event> events, String terminalType) {
        assertThat(events).extracting(Event::seq).containsExactlyElementsOf(LongStream.rangeClosed(1, events.size()).boxed().toList());
        assertThat(events).filteredOn(Event::isTerminal).hasSize(1);
        assertThat(events.getLast().type()).isEqualTo(terminalType);
    }

    @Test
    void aRunIsExecutedWithItsInputAndEndsSucceededWithItsEvents() {
        ScriptedExecutor executor = new ScriptedExecutor((request, sink, killed) -> {
            assertThat(request.artifactsDir()).isEqualTo(fixture.dataDir.runScratch(request.runId()).resolve("artifacts")).isEmptyDirectory();
            assertThat(java.nio.file.attribute.PosixFilePermissions.toString(java.nio.file.Files.getPosixFilePermissions(
                    request.artifactsDir().getParent().getParent()))).as("the folder of all runs cannot be listed").isEqualTo("rwx--x--x");
            assertThat(request.sourceDir()).isEqualTo(fixture.dataDir.deploymentSource(fixture.deployment.id()));
            assertThat(request.environmentDir()).isEqualTo(fixture.dataDir.environments().resolve("env-test"));
            sink.emit(new NewEvent(EventTypes.AGENT_STARTED, JsonNodeFactory.instance.objectNode().put("agent", "Researcher").put("task", "t")));
            return succeedWithInput(request);
        });
        started(fixture.dispatcher(executor, 2));
        Run run = fixture.pendingRun(Map.of("topic", "AI agents"));

        Run done = fixture.awaitTerminal(run.id());

        assertThat(done.status()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(done.output().get("echo").get("topic").asText()).isEqualTo("AI agents");
        List<Event> events = fixture.events(run.id());
        assertThat(events).extracting(Event::type).containsExactly(EventTypes.RUN_STARTED, EventTypes.AGENT_STARTED, EventTypes.RUN_COMPLETED);
        assertWellFormedEvents(events, EventTypes.RUN_COMPLETED);
        assertThat(events.getLast().data().get("duration_ms").isIntegralNumber()).isTrue();
        assertThat(fixture.dataDir.runScratch(run.id())).doesNotExist();
    }

    @Test
    void neverMoreRunsExecuteThanTheLimitAndTheRestWaitPending() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        ScriptedExecutor executor = new ScriptedExecutor((request, sink, killed) -> {
            release.await(30, TimeUnit.SECONDS);
            return succeedWithInput(request);
        });
        RunDispatcher dispatcher = started(fixture.dispatcher(executor, 2));
        List<Run> runs = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            runs.add(fixture.pendingRun(Map.of("i", i)));
            dispatcher.signal();
        }

        RunsFixture.await(() -> executor.concurrent() == 2, "two runs executing");
        Thread.sleep(300); // several poll intervals: nothing more may start while both slots are taken
        assertThat(executor.started()).isEqualTo(2);
        assertThat(runs.stream().map(r -> fixture.run(r.id()).status()))
                .containsExactlyInAnyOrder(RunStatus.RUNNING, RunStatus.RUNNING,
                        RunStatus.PENDING, RunStatus.PENDING, RunStatus.PENDING, RunStatus.PENDING);

        release.countDown();
        for (Run run : runs) {
            assertThat(fixture.awaitTerminal(run.id()).status()).isEqualTo(RunStatus.SUCCEEDED);
        }
        assertThat(executor.maxConcurrent()).isEqualTo(2);
        assertThat(executor.started()).isEqualTo(6);
    }

    @Test
    void runsStartOldestFirst() throws Exception {
        List<String> order = new java.util.concurrent.CopyOnWriteArrayList<>();
        ScriptedExecutor executor = new ScriptedExecutor((request, sink, killed) -> {
            order.add(request.runId());
            return succeedWithInput(request);
        });
        List<String> created = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            created.add(fixture.pendingRun(Map.of("i", i)).id());
            sleepPastTheMillisecond();
        }
        started(fixture.dispatcher(executor, 1));
        created.forEach(fixture::awaitTerminal);
        assertThat(order).containsExactlyElementsOf(created);
    }

    /** Creation times are kept to the millisecond; runs created within one start in id order. */
    private static void sleepPastTheMillisecond() throws InterruptedException {
        Thread.sleep(2);
    }

    @Test
    void cancellingAPendingRunEndsItAtOnceWhileOthersCarryOn() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        ScriptedExecutor executor = new ScriptedExecutor((request, sink, killed) -> {
            release.await(30, TimeUnit.SECONDS);
            return succeedWithInput(request);
        });
        RunDispatcher dispatcher = started(fixture.dispatcher(executor, 1));
        Run first = fixture.pendingRun(Map.of());
        dispatcher.signal();
        RunsFixture.await(() -> executor.concurrent() == 1, "the first run executing");
        Run waiting = fixture.pendingRun(Map.of());

        Run canceled = dispatcher.cancel(waiting.id());

        assertThat(canceled.status()).isEqualTo(RunStatus.CANCELED);
        assertThat(canceled.startedAt()).isNull();
        List<Event> events = fixture.events(waiting.id());
        assertThat(events).extracting(Event::type).containsExactly(EventTypes.RUN_CANCELED);
        assertThat(events.getFirst().data().get("duration_ms").asLong()).isZero();
        assertThatThrownBy(() -> dispatcher.cancel(waiting.id()))
                .isInstanceOfSatisfying(CrewshipException.class, e -> assertThat(e.type()).isEqualTo(ProblemType.CONFLICT));

        release.countDown();
        assertThat(fixture.awaitTerminal(first.id()).status()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(executor.started()).isEqualTo(1);
    }

    @Test
    void cancellingARunningRunKillsItAndRecordsItCanceledWithItsArtifacts() {
        ScriptedExecutor executor = new ScriptedExecutor((request, sink, killed) -> {
            Files.writeString(request.artifactsDir().resolve("partial.txt"), "half done");
            sink.emit(new NewEvent(EventTypes.LOG, JsonNodeFactory.instance.objectNode().put("message", "working").put("stream", "stdout")));
            killed.await();
            return ScriptedExecutor.killedResult();
        });
        RunDispatcher dispatcher = started(fixture.dispatcher(executor, 2));
        Run run = fixture.pendingRun(Map.of());
        dispatcher.signal();
        RunsFixture.await(() -> fixture.events(run.id()).size() == 2, "the run's log event");

        Run canceled = dispatcher.cancel(run.id());

        assertThat(canceled.status()).isEqualTo(RunStatus.CANCELED);
        List<Event> events = fixture.events(run.id());
        assertThat(events).extracting(Event::type)
                .containsExactly(EventTypes.RUN_STARTED, EventTypes.LOG, EventTypes.ARTIFACT, EventTypes.RUN_CANCELED);
        assertWellFormedEvents(events, EventTypes.RUN_CANCELED);
        assertThat(fixture.store.artifacts().list(run.id())).extracting(a -> a.name()).containsExactly("partial.txt");
        assertThat(executor.isExecuting(run.id())).isFalse();
    }

    @Test
    void cancelRacingWithClaimEndsEveryRunExactlyOnce() {
        ScriptedExecutor executor = new ScriptedExecutor((request, sink, killed) -> {
            killed.await(50, TimeUnit.MILLISECONDS);
            return killed.getCount() == 0 ? ScriptedExecutor.killedResult() : succeedWithInput(request);
        });
        RunDispatcher dispatcher = started(fixture.dispatcher(executor, 8));
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            Run run = fixture.pendingRun(Map.of("i", i));
            ids.add(run.id());
            dispatcher.signal();
            try {
                Run after = dispatcher.cancel(run.id());
                assertThat(after.status()).isIn(RunStatus.CANCELED, RunStatus.SUCCEEDED);
            } catch (CrewshipException e) {
                // The run finished before the cancel arrived.
                assertThat(e.type()).isEqualTo(ProblemType.CONFLICT);
            }
        }
        for (String id : ids) {
            Run run = fixture.awaitTerminal(id);
            List<Event> events = fixture.events(id);
            String terminal = run.status() == RunStatus.CANCELED ? EventTypes.RUN_CANCELED : EventTypes.RUN_COMPLETED;
            assertWellFormedEvents(events, terminal);
            if (run.status() == RunStatus.CANCELED && run.startedAt() == null) {
                assertThat(events).extracting(Event::type).containsExactly(EventTypes.RUN_CANCELED);
            }
        }
        RunsFixture.await(() -> dispatcher.executingCount() == 0 && executor.concurrent() == 0, "nothing executing");
    }

    @Test
    void anExecutorThatThrowsFailsTheRunAndTheDispatcherCarriesOn() {
        ScriptedExecutor executor = new ScriptedExecutor((request, sink, killed) -> {
            if (request.input().path("explode").asBoolean()) {
                throw new IllegalStateException("executor bug with /secret/internal/path");
            }
            return succeedWithInput(request);
        });
        started(fixture.dispatcher(executor, 1));
        Run bad = fixture.pendingRun(Map.of("explode", true));
        Run good = fixture.pendingRun(Map.of("explode", false));

        Run failed = fixture.awaitTerminal(bad.id());
        assertThat(failed.status()).isEqualTo(RunStatus.FAILED);
        assertThat(failed.error().type()).isEqualTo(RunDispatcher.INTERNAL_ERROR);
        assertThat(failed.error().message()).doesNotContain("/secret/internal/path");
        assertWellFormedEvents(fixture.events(bad.id()), EventTypes.RUN_FAILED);
        assertThat(fixture.awaitTerminal(good.id()).status()).isEqualTo(RunStatus.SUCCEEDED);
    }

    @Test
    void aTimedOutRunFailsWithTheTimeoutMessage() {
        ScriptedExecutor executor = new ScriptedExecutor((request, sink, killed) ->
                new ExecutionResult(ExecutionResult.Outcome.TIMED_OUT, null, null, null));
        started(fixture.dispatcher(executor, 1));
        Run run = fixture.pendingRun(Map.of());

        Run failed = fixture.awaitTerminal(run.id());

        assertThat(failed.status()).isEqualTo(RunStatus.FAILED);
        assertThat(failed.error().type()).isEqualTo("Timeout");
        assertThat(failed.error().message()).contains("300 seconds");
        Event terminal = fixture.events(run.id()).getLast();
        assertThat(terminal.type()).isEqualTo(EventTypes.RUN_FAILED);
        assertThat(terminal.data().get("error").get("type").asText()).isEqualTo("Timeout");
    }

    /** A project secret, and what redacts it, as the secrets of two tests below. */
    private static final String OPENAI_KEY = "sk-very-secret-123";

    private static RunSecrets openAiKeySecrets() {
        return new RunSecrets(Map.of("OPENAI_API_KEY", OPENAI_KEY), text -> text.replace(OPENAI_KEY, "[REDACTED:OPENAI_API_KEY]"));
    }

    @Test
    void secretValuesAreRedactedFromEventsOutputAndErrors() {
        String secret = OPENAI_KEY;
        RunSecrets secrets = openAiKeySecrets();
        ScriptedExecutor executor = new ScriptedExecutor((request, sink, killed) -> {
            assertThat(request.env()).containsEntry("OPENAI_API_KEY", secret);
            sink.emit(new NewEvent(EventTypes.LOG, JsonNodeFactory.instance.objectNode().put("message", "the secret is " + secret)));
            if (request.input().path("fail").asBoolean()) {
                return ExecutionResult.failed(new RunError("RuntimeError", "failing with " + secret, "Traceback: " + secret));
            }
            return ExecutionResult.succeeded(JsonNodeFactory.instance.objectNode().put("value", secret), null);
        });
        started(fixture.dispatcher(executor, 2, projectId -> secrets));
        Run ok = fixture.pendingRun(Map.of("fail", false));
        Run bad = fixture.pendingRun(Map.of("fail", true));

        Run succeeded = fixture.awaitTerminal(ok.id());
        Run failed = fixture.awaitTerminal(bad.id());

        assertThat(succeeded.output().get("value").asText()).isEqualTo("[REDACTED:OPENAI_API_KEY]");
        assertThat(failed.error().message()).isEqualTo("failing with [REDACTED:OPENAI_API_KEY]");
        assertThat(failed.error().traceback()).doesNotContain(secret);
        for (Run run : List.of(ok, bad)) {
            assertThat(fixture.events(run.id()).toString()).doesNotContain(secret).contains("[REDACTED:OPENAI_API_KEY]");
        }
    }

    @Test
    void aCrewCannotForgeServerEvents() {
        ScriptedExecutor executor = new ScriptedExecutor((request, sink, killed) -> {
            sink.emit(new NewEvent(EventTypes.RUN_COMPLETED, JsonNodeFactory.instance.objectNode().put("duration_ms", 1)));
            sink.emit(new NewEvent(EventTypes.ARTIFACT, JsonNodeFactory.instance.objectNode().put("name", "fake.txt").put("size", 1)));
            return succeedWithInput(request);
        });
        started(fixture.dispatcher(executor, 1));
        Run run = fixture.pendingRun(Map.of());

        fixture.awaitTerminal(run.id());

        List<Event> events = fixture.events(run.id());
        assertThat(events).extracting(Event::type)
                .containsExactly(EventTypes.RUN_STARTED, EventTypes.LOG, EventTypes.LOG, EventTypes.RUN_COMPLETED);
        assertThat(events.get(1).data().get("stream").asText()).isEqualTo(PlatformLog.STREAM);
        assertThat(events.get(1).data().get("message").asText()).contains("reserved");
    }

    @Test
    void eventsEmittedTogetherAreStoredInOrderRedactedAndWithoutForgedOnes() {
        String secret = OPENAI_KEY;
        RunSecrets secrets = openAiKeySecrets();
        ScriptedExecutor executor = new ScriptedExecutor((request, sink, killed) -> {
            sink.emitAll(List.of(
                    new NewEvent(EventTypes.LOG, JsonNodeFactory.instance.objectNode().put("message", "key " + secret)),
                    new NewEvent(EventTypes.RUN_COMPLETED, JsonNodeFactory.instance.objectNode().put("duration_ms", 1)),
                    new NewEvent(EventTypes.AGENT_STARTED, JsonNodeFactory.instance.objectNode().put("agent", "Researcher").put("task", "t"))));
            sink.emit(new NewEvent(EventTypes.LOG, JsonNodeFactory.instance.objectNode().put("message", "after")));
            return succeedWithInput(request);
        });
        started(fixture.dispatcher(executor, 1, projectId -> secrets));
        Run run = fixture.pendingRun(Map.of());

        fixture.awaitTerminal(run.id());

        List<Event> events = fixture.events(run.id());
        assertThat(events).extracting(Event::seq, Event::type).containsExactly(
                tuple(1L, EventTypes.RUN_STARTED), tuple(2L, EventTypes.LOG), tuple(3L, EventTypes.LOG),
                tuple(4L, EventTypes.AGENT_STARTED), tuple(5L, EventTypes.LOG), tuple(6L, EventTypes.RUN_COMPLETED));
        assertThat(events.get(1).data().get("message").asText()).isEqualTo("key [REDACTED:OPENAI_API_KEY]");
        assertThat(events.get(2).data().get("message").asText()).contains("reserved");
        assertThat(events.get(4).data().get("message").asText()).isEqualTo("after");
    }

    @Test
    void stoppingTheDispatcherFailsExecutingRunsAsServerStoppedAndKeepsPendingOnes() {
        ScriptedExecutor executor = new ScriptedExecutor((request, sink, killed) -> {
            killed.await();
            return ScriptedExecutor.killedResult();
        });
        RunDispatcher dispatcher = fixture.dispatcher(executor, 1);
        dispatcher.start();
        Run executing = fixture.pendingRun(Map.of());
        dispatcher.signal();
        RunsFixture.await(() -> executor.concurrent() == 1, "the run executing");
        Run waiting = fixture.pendingRun(Map.of());

        dispatcher.close();

        Run stopped = fixture.run(executing.id());
        assertThat(stopped.status()).isEqualTo(RunStatus.FAILED);
        assertThat(stopped.error().type()).isEqualTo(RunDispatcher.SERVER_STOPPED);
        assertThat(fixture.run(waiting.id()).status()).isEqualTo(RunStatus.PENDING);
    }

    @Test
    void recoveryFailsInterruptedRunsAndKeepsPendingOnesWhichThenRun() throws Exception {
        Run interrupted = fixture.pendingRun(Map.of());
        List<Run> claimed = fixture.store.runs().claimPending("node_crashed", 1, fixture.clock.instant());
        assertThat(claimed).extracting(Run::id).containsExactly(interrupted.id());
        Path leftArtifacts = Files.createDirectories(fixture.dataDir.runScratch(interrupted.id()).resolve("artifacts/notes"));
        Files.writeString(leftArtifacts.resolve("draft.md"), "# draft");
        Run neverStarted = fixture.pendingRun(Map.of("again", true));
        Path stale = Files.createDirectories(fixture.dataDir.runScratch("run_finishedlongago"));

        RunRecovery.Report report = new RunRecovery(fixture.store.runs(), fixture.collector(), fixture.dataDir, fixture.clock).recover();

        assertThat(report.failed()).containsExactly(interrupted.id());
        assertThat(report.keptPending()).isEqualTo(1);
        Run failed = fixture.run(interrupted.id());
        assertThat(failed.status()).isEqualTo(RunStatus.FAILED);
        assertThat(failed.error().type()).isEqualTo(RunRecovery.SERVER_RESTARTED);
        assertThat(failed.error().message()).contains("not retried");
        List<Event> events = fixture.events(interrupted.id());
        assertWellFormedEvents(events, EventTypes.RUN_FAILED);
        assertThat(events).extracting(Event::type).containsExactly(EventTypes.RUN_STARTED, EventTypes.ARTIFACT, EventTypes.RUN_FAILED);
        assertThat(fixture.store.artifacts().list(interrupted.id())).extracting(a -> a.name()).containsExactly("notes/draft.md");
        assertThat(fixture.dataDir.runScratch(interrupted.id())).doesNotExist();
        assertThat(stale).doesNotExist();
        assertThat(fixture.run(neverStarted.id()).status()).isEqualTo(RunStatus.PENDING);

        ScriptedExecutor executor = new ScriptedExecutor((request, sink, killed) -> succeedWithInput(request));
        started(fixture.dispatcher(executor, 2));
        assertThat(fixture.awaitTerminal(neverStarted.id()).status()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(executor.started()).isEqualTo(1);
    }

    @Test
    void recoveryKillsProcessesLeftForAnInterruptedRun() throws Exception {
        Run interrupted = fixture.pendingRun(Map.of());
        fixture.store.runs().claimPending("node_crashed", 1, fixture.clock.instant());
        Path artifacts = Files.createDirectories(fixture.dataDir.runScratch(interrupted.id()).resolve("artifacts"));
        // Stands in for a sandbox that outlived its server: its command line names the run's folder.
        Process leftover = new ProcessBuilder("sh", "-c", "sleep 60; : " + artifacts).start();

        new RunRecovery(fixture.store.runs(), fixture.collector(), fixture.dataDir, fixture.clock).recover();

        assertThat(leftover.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(fixture.run(interrupted.id()).status()).isEqualTo(RunStatus.FAILED);
    }

    @Test
    void redactionAppliesToKeysAndNestedValues() {
        RunSecrets secrets = new RunSecrets(Map.of("K", "s3cr3t"), text -> text.replace("s3cr3t", "[REDACTED:K]"));
        var node = RunsFixture.JSON.valueToTree(Map.of("s3cr3t", List.of("a s3cr3t", Map.of("x", "s3cr3t")), "n", 1));
        assertThat(secrets.redact(node).toString()).doesNotContain("s3cr3t").contains("[REDACTED:K]").contains("\"n\":1");
    }
}

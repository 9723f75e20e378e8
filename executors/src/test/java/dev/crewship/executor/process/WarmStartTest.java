package dev.crewship.executor.process;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.crewship.event.NewEvent;
import dev.crewship.executor.process.CrewFixture.RecordingSink;
import dev.crewship.run.ExecutionRequest;
import dev.crewship.run.ExecutionResult;
import dev.crewship.run.ExecutionResult.Outcome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Warm starts against real sandboxes: a deployment's first run starts cold and starts a warm parent;
 * later runs are forked from it, each isolated as a cold run is (its own environment, artifacts,
 * /tmp, processes), killed and timed out with everything it started, and nothing is left once the
 * executor closes.
 */
class WarmStartTest {
    private static final Map<String, String> ENV = Map.of("PROJECT_SECRET", "warm-s3cret");
    private static CrewFixture fixture;
    private static ProcessExecutor executor;
    private static int runs;

    @BeforeAll
    static void setUp() throws Exception {
        fixture = CrewFixture.create();
        executor = new ProcessExecutor(RunProcesses.bubblewrap(CrewFixture.runtime()));
        awaitWarm("dep_probe", CrewFixture.defaults());
    }

    @AfterAll
    static void tearDown() {
        executor.close();
        try {
            assertThat(RunProcesses.ofRunUids()).as("closing the executor stops every warm parent and run").isEmpty();
        } finally {
            fixture.close();
        }
    }

    private static synchronized String nextRunId() {
        return "run_w" + (++runs);
    }

    private static ExecutionRequest request(String input) {
        return fixture.request(nextRunId(), CrewFixture.defaults(), input, ENV);
    }

    /** Runs echo until one run of the deployment and configuration was forked from a warm parent. */
    private static void awaitWarm(String deploymentId, dev.crewship.deployment.DeploymentConfig config) throws InterruptedException {
        long before = executor.warmRuns();
        Instant deadline = Instant.now().plusSeconds(60);
        while (executor.warmRuns() == before) {
            assertThat(Instant.now()).as("a warm parent within 60 s").isBefore(deadline);
            ExecutionResult result = executor.execute(fixture.request(nextRunId(), deploymentId, config, fixture.source,
                    "{\"action\":\"echo\",\"tag\":\"warm-up\"}", ENV), new RecordingSink());
            assertThat(result.outcome()).as(String.valueOf(result.error())).isEqualTo(Outcome.SUCCEEDED);
            Thread.sleep(50);
        }
    }

    /** Executes and checks the run was a warm one. */
    private static ExecutionResult warm(ExecutionRequest request, RecordingSink sink) throws InterruptedException {
        long before = executor.warmRuns();
        ExecutionResult result = executor.execute(request, sink);
        assertThat(executor.warmRuns()).as("run %s forked from the warm parent", request.runId()).isGreaterThan(before);
        return result;
    }

    @Test
    void aWarmRunStreamsItsEventsReturnsItsResultAndLeavesItsArtifacts() throws Exception {
        ExecutionRequest request = request("{\"action\":\"echo\",\"tag\":\"hot\"}");
        RecordingSink sink = new RecordingSink();

        ExecutionResult result = warm(request, sink);

        assertThat(result.outcome()).as(String.valueOf(result.error())).isEqualTo(Outcome.SUCCEEDED);
        assertThat(result.output().get("tag").asText()).isEqualTo("hot");
        assertThat(result.output().get("cwd").asText()).isEqualTo("/app");
        assertThat(sink.events()).extracting(NewEvent::type).containsExactly("log", "agent.started", "tool.called", "agent.completed");
        assertThat(sink.events().getFirst().data().get("message").asText()).isEqualTo("starting hot");
        assertThat(Files.readString(fixture.artifactsDir(request.runId()).resolve("report.md"))).isEqualTo("report for hot");
    }

    @Test
    void aWarmRunSeesItsOwnEnvironmentProcessesAndFilesOnly() throws Exception {
        ExecutionRequest envRequest = request("{\"action\":\"env\"}");
        JsonNode env = warm(envRequest, new RecordingSink()).output().get("env");
        assertThat(env.get("PROJECT_SECRET").asText()).isEqualTo("warm-s3cret");
        assertThat(env.get("CREWSHIP_RUN_ID").asText()).isEqualTo(envRequest.runId());
        assertThat(env.get("CREWSHIP_ARTIFACTS_DIR").asText()).isEqualTo("/app/artifacts");
        assertThat(env.has("JAVA_HOME")).isFalse();

        JsonNode processes = warm(request("{\"action\":\"list\",\"path\":\"/proc\"}"), new RecordingSink()).output().get("entries");
        List<String> pids = new ArrayList<>();
        processes.forEach(entry -> {
            if (entry.asText().chars().allMatch(Character::isDigit)) {
                pids.add(entry.asText());
            }
        });
        assertThat(pids).as("the run is pid 1 of its own namespace and sees no other process").containsExactly("1");

        JsonNode runsFolder = warm(request("{\"action\":\"list\",\"path\":\"" + SandboxCommand.WARM_RUNS + "\"}"), new RecordingSink())
                .output().get("entries");
        assertThat(runsFolder).as("the folder of all runs is hidden").isEmpty();

        JsonNode tmp = warm(request("{\"action\":\"list\",\"path\":\"/tmp\"}"), new RecordingSink()).output().get("entries");
        assertThat(tmp).as("a fresh /tmp per run").isEmpty();
    }

    @Test
    void eachWarmRunGetsFreshTmpAndShmThatNoEarlierOrConcurrentRunWroteIn() throws Exception {
        // Each spare mounts its run's /tmp and /dev/shm before its run is known: none may be one another run used.
        JsonNode first = warm(request("{\"action\":\"scribble\",\"tag\":\"first\"}"), new RecordingSink()).output();
        assertThat(first.get("tmp")).extracting(JsonNode::asText).containsExactly("scribble-first");
        assertThat(first.get("shm")).extracting(JsonNode::asText).containsExactly("scribble-first");
        try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<ExecutionResult>> results = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                ExecutionRequest request = request("{\"action\":\"scribble\",\"tag\":\"c" + i + "\"}");
                results.add(callers.submit(() -> executor.execute(request, new RecordingSink())));
            }
            for (int i = 0; i < results.size(); i++) {
                ExecutionResult result = results.get(i).get();
                assertThat(result.outcome()).as(String.valueOf(result.error())).isEqualTo(Outcome.SUCCEEDED);
                assertThat(result.output().get("tmp")).extracting(JsonNode::asText).containsExactly("scribble-c" + i);
                assertThat(result.output().get("shm")).extracting(JsonNode::asText).containsExactly("scribble-c" + i);
            }
        }
        for (String folder : List.of("/tmp", "/dev/shm")) {
            JsonNode entries = warm(request("{\"action\":\"list\",\"path\":\"" + folder + "\"}"), new RecordingSink())
                    .output().get("entries");
            assertThat(entries).as(folder + " of a later run").isEmpty();
        }
    }

    @Test
    void concurrentWarmRunsEachSeeOnlyTheirOwnInputAndArtifacts() throws Exception {
        try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<ExecutionResult>> results = new ArrayList<>();
            List<ExecutionRequest> requests = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                ExecutionRequest request = request("{\"action\":\"echo\",\"tag\":\"t" + i + "\",\"sleep\":0.3}");
                requests.add(request);
                results.add(callers.submit(() -> executor.execute(request, new RecordingSink())));
            }
            for (int i = 0; i < results.size(); i++) {
                ExecutionResult result = results.get(i).get();
                assertThat(result.outcome()).as(String.valueOf(result.error())).isEqualTo(Outcome.SUCCEEDED);
                assertThat(result.output().get("tag").asText()).isEqualTo("t" + i);
                assertThat(result.output().get("artifacts")).hasSize(1);
                assertThat(Files.readString(fixture.artifactsDir(requests.get(i).runId()).resolve("report.md"))).isEqualTo("report for t" + i);
            }
        }
    }

    @Test
    void aWarmRunCannotReadAnotherRunsArtifacts() throws Exception {
        try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            ExecutionRequest victim = request("{\"action\":\"echo\",\"tag\":\"private\",\"sleep\":3}");
            RecordingSink victimSink = new RecordingSink();
            Future<ExecutionResult> victimRun = callers.submit(() -> executor.execute(victim, victimSink));
            victimSink.await("agent.completed", Duration.ofSeconds(30));

            for (String path : List.of(SandboxCommand.WARM_RUNS + "/" + victim.runId() + "/artifacts/report.md",
                    fixture.artifactsDir(victim.runId()).resolve("report.md").toString())) {
                ExecutionResult thief = warm(request("{\"action\":\"read\",\"path\":\"" + path + "\"}"), new RecordingSink());
                assertThat(thief.outcome()).as(path).isEqualTo(Outcome.FAILED);
                assertThat(thief.error().type()).as(path).isIn("FileNotFoundError", "PermissionError");
            }
            assertThat(victimRun.get().outcome()).isEqualTo(Outcome.SUCCEEDED);
        }
    }

    @Test
    void killingAWarmRunEndsEverythingItStartedAndTheParentServesTheNextRun() throws Exception {
        try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            ExecutionRequest request = request("{\"action\":\"tree\"}");
            RecordingSink sink = new RecordingSink();
            long before = executor.warmRuns();
            Future<ExecutionResult> running = callers.submit(() -> executor.execute(request, sink));
            sink.await("tree.ready", Duration.ofSeconds(30));

            assertThat(executor.kill(request.runId())).isTrue();

            assertThat(running.get().outcome()).isEqualTo(Outcome.KILLED);
            assertThat(executor.warmRuns()).isGreaterThan(before);
            assertThat(sleepers()).as("the run's child and grandchild are gone").isEmpty();
        }
        ExecutionResult next = warm(request("{\"action\":\"echo\",\"tag\":\"after\"}"), new RecordingSink());
        assertThat(next.outcome()).isEqualTo(Outcome.SUCCEEDED);
    }

    @Test
    void aWarmRunPastItsTimeoutIsEndedAndAnExceptionFailsItWithItsType() throws Exception {
        dev.crewship.deployment.DeploymentConfig shortTimeout = CrewFixture.config(Duration.ofSeconds(2), 1024, 64, false);
        awaitWarm("dep_short", shortTimeout);
        long before = executor.warmRuns();
        ExecutionResult timedOut = executor.execute(fixture.request(nextRunId(), "dep_short", shortTimeout, fixture.source,
                "{\"action\":\"sleep\",\"seconds\":30}", ENV), new RecordingSink());
        assertThat(executor.warmRuns()).isGreaterThan(before);
        assertThat(timedOut.outcome()).isEqualTo(Outcome.TIMED_OUT);
        assertThat(timedOut.error().type()).isEqualTo("Timeout");

        ExecutionResult failed = warm(request("{\"action\":\"raise\",\"message\":\"no such topic\"}"), new RecordingSink());
        assertThat(failed.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(failed.error().type()).isEqualTo("ValueError");
        assertThat(failed.error().message()).isEqualTo("no such topic");
    }

    @Test
    void changedVariablesNeedANewParentAndTheFirstRunWithThemStartsCold() throws Exception {
        long before = executor.warmRuns();
        ExecutionResult cold = executor.execute(fixture.request(nextRunId(), CrewFixture.defaults(), "{\"action\":\"env\"}",
                Map.of("PROJECT_SECRET", "rotated")), new RecordingSink());
        assertThat(cold.outcome()).isEqualTo(Outcome.SUCCEEDED);
        assertThat(cold.output().get("env").get("PROJECT_SECRET").asText()).isEqualTo("rotated");
        assertThat(executor.warmRuns()).as("no parent imported the crew with these variables yet").isEqualTo(before);
        awaitWarm("dep_probe", CrewFixture.defaults()); // the parent for the test variables, for the other tests
    }

    @Test
    void aCrewWhoseImportFailsRunsColdAndReportsTheImportError() throws Exception {
        Path broken = Files.createTempDirectory(fixture.data, "broken-src");
        Files.setPosixFilePermissions(broken, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createDirectories(broken.resolve("artifacts"));
        Files.writeString(broken.resolve("crew.py"), "raise RuntimeError('cannot import me')\n");
        long before = executor.warmRuns();
        for (int i = 0; i < 3; i++) {
            ExecutionResult result = executor.execute(fixture.request(nextRunId(), "dep_broken", CrewFixture.defaults(), broken, "{}", ENV),
                    new RecordingSink());
            assertThat(result.outcome()).isEqualTo(Outcome.FAILED);
            assertThat(result.error().type()).isEqualTo("RuntimeError");
            assertThat(result.error().message()).isEqualTo("cannot import me");
            Thread.sleep(300);
        }
        assertThat(executor.warmRuns()).isEqualTo(before);
    }

    /** Processes of the "tree" action (each sleeps 300 s) of this test's runs, waiting up to 5 s for them to go. */
    private static List<Long> sleepers() throws InterruptedException {
        Instant deadline = Instant.now().plusSeconds(5);
        List<Long> alive;
        do {
            // Only this JVM's run uids: the same crew's sandboxes of another test run on the machine do not count.
            alive = RunProcesses.ofRunUidsRunning("time.sleep(300)");
            if (alive.isEmpty()) {
                return alive;
            }
            Thread.sleep(50);
        } while (Instant.now().isBefore(deadline));
        return alive;
    }
}

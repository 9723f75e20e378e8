package dev.crewship.executor.process;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crewship.executor.process.CrewFixture.RecordingSink;
import dev.crewship.deployment.DeploymentConfig;
import dev.crewship.run.ExecutionRequest;
import dev.crewship.run.ExecutionResult;
import dev.crewship.run.ExecutionResult.Outcome;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The bubblewrap executor against real sandboxes, the real Python 3.11 and crewship_runtime:
 * normal runs, isolation (environment, files, network, other runs), limits, timeout, kill.
 */
class ProcessExecutorTest {
    private static CrewFixture fixture;
    private static ProcessExecutor executor;
    private static int runs;

    @BeforeAll
    static void setUp() {
        fixture = CrewFixture.create();
        // Cold starts only: WarmStartTest covers runs forked from warm parents.
        executor = new ProcessExecutor(RunProcesses.bubblewrap(CrewFixture.runtime()).withWarmStarts(WarmStarts.off()));
    }

    @AfterAll
    static void tearDown() {
        executor.close();
        fixture.close();
    }

    @AfterEach
    void noSandboxIsLeftBehind() {
        assertThat(RunProcesses.ofRunUids()).as("processes of run uids").isEmpty();
    }

    private static synchronized String nextRunId() {
        return "run_" + (++runs);
    }

    private static ExecutionResult run(ExecutionRequest request, RecordingSink sink) throws InterruptedException {
        return executor.execute(request, sink);
    }

    @Test
    void aRunStreamsItsEventsInOrderReturnsItsResultAndLeavesItsArtifacts() throws Exception {
        String runId = nextRunId();
        RecordingSink sink = new RecordingSink();

        ExecutionResult result = run(fixture.request(runId, CrewFixture.defaults(), "{\"action\":\"echo\",\"tag\":\"t1\"}", Map.of()), sink);

        assertThat(result.outcome()).as(String.valueOf(result.error())).isEqualTo(Outcome.SUCCEEDED);
        assertThat(result.output().get("tag").asText()).isEqualTo("t1");
        assertThat(result.output().get("cwd").asText()).isEqualTo("/app");
        assertThat(result.output().get("artifacts")).hasToString("[\"report.md\"]");
        assertThat(result.values()).isNull();
        assertThat(sink.types()).containsSubsequence("agent.started", "tool.called", "agent.completed");
        assertThat(sink.events()).anySatisfy(event -> {
            assertThat(event.type()).isEqualTo("log");
            assertThat(event.data().get("message").asText()).isEqualTo("starting t1");
            assertThat(event.data().get("stream").asText()).isEqualTo("stdout");
        });
        assertThat(sink.events().stream().filter(e -> e.type().equals("tool.called")).findFirst().orElseThrow().data())
                .hasToString("{\"tool\":\"search\",\"n\":1}");

        Path report = fixture.artifactsDir(runId).resolve("report.md");
        assertThat(report).hasContent("report for t1");
        HostUser server = HostUser.current();
        assertThat(Files.getAttribute(report, "unix:uid")).isEqualTo(server.uid());
        assertThat(Files.getAttribute(fixture.artifactsDir(runId), "unix:uid")).isEqualTo(server.uid());
        assertThat(Files.isReadable(report)).isTrue();
    }

    @Test
    void theCrewSeesItsProjectVariablesAndTheRuntimesButNothingOfTheServer() throws Exception {
        assertThat(System.getenv("CREWSHIP_TEST_SERVER_SECRET")).as("set by surefire for this test").isNotNull();
        ExecutionResult result = run(fixture.request(nextRunId(), CrewFixture.defaults(), "{\"action\":\"env\"}",
                Map.of("PROJECT_SECRET", "s3cret", "PYTHONPATH", "/somewhere/else")), new RecordingSink());

        assertThat(result.outcome()).as(String.valueOf(result.error())).isEqualTo(Outcome.SUCCEEDED);
        Map<String, String> env = CrewFixture.JSON.convertValue(result.output().get("env"), Map.class);
        assertThat(env).containsEntry("PROJECT_SECRET", "s3cret")
                .containsEntry("PYTHONPATH", "/opt/crewship")
                .containsEntry("HOME", "/tmp")
                .containsEntry("PATH", "/opt/venv/bin:/usr/bin:/bin")
                .containsEntry("LANG", "C.UTF-8")
                .containsEntry("PYTHONUNBUFFERED", "1")
                .containsEntry("CREWSHIP_DEPLOYMENT_ID", "dep_probe")
                .containsEntry("CREWSHIP_ARTIFACTS_DIR", "/app/artifacts")
                .containsKey("CREWSHIP_RUN_ID")
                .doesNotContainKeys("CREWSHIP_TEST_SERVER_SECRET", "JAVA_HOME", "USER", "SSL_CERT_FILE", "CREWSHIP_LLM_TOKENS");
        // The runtime itself adds the switches that keep CrewAI offline (docs/runtime-protocol.md).
        Set<String> allowed = Set.of("PROJECT_SECRET", "PYTHONPATH", "HOME", "PATH", "LANG", "PYTHONUNBUFFERED", "PWD",
                "CREWAI_DISABLE_TELEMETRY", "OTEL_SDK_DISABLED", "CREWAI_DISABLE_VERSION_CHECK", "CREWAI_TESTING");
        assertThat(env.keySet()).allMatch(name -> allowed.contains(name) || name.startsWith("CREWSHIP_"), "only the crew's variables");
        assertThat(result.output().get("uid").asInt()).isEqualTo(SandboxCommand.SANDBOX_UID);
    }

    @Test
    void llmTokensInCrewshipTomlTellTheRuntimeToStreamTokenEvents() throws Exception {
        DeploymentConfig base = CrewFixture.defaults();
        DeploymentConfig tokens = new DeploymentConfig(base.framework(), base.entrypoint(), base.python(), base.buildExclude(),
                base.timeout(), base.memoryMb(), base.maxProcesses(), base.cpuTime(), base.network(), true);
        ExecutionResult result = run(fixture.request(nextRunId(), tokens, "{\"action\":\"env\"}", Map.of()), new RecordingSink());

        assertThat(result.outcome()).as(String.valueOf(result.error())).isEqualTo(Outcome.SUCCEEDED);
        assertThat(result.output().get("env").get("CREWSHIP_LLM_TOKENS").asText()).isEqualTo("true");
    }

    @Test
    void secretsNeverAppearOnACommandLineAndKillEndsTheWholeProcessTree() throws Exception {
        String runId = nextRunId();
        RecordingSink sink = new RecordingSink();
        ExecutionRequest request = fixture.request(runId, CrewFixture.defaults(), "{\"action\":\"tree\"}",
                Map.of("PROJECT_SECRET", "value-that-must-stay-private"));
        try (ExecutorService caller = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<ExecutionResult> execution = caller.submit(() -> run(request, sink));
            sink.await("tree.ready", Duration.ofSeconds(30));

            List<ProcessHandle> tree = ProcessHandle.current().descendants().toList();
            assertThat(tree.stream().filter(p -> p.info().commandLine().orElse("").contains("python"))).hasSizeGreaterThanOrEqualTo(3);
            assertThat(tree).allSatisfy(p -> assertThat(p.info().commandLine().orElse("")).doesNotContain("value-that-must-stay-private"));

            assertThat(executor.kill(runId)).isTrue();
            ExecutionResult result = execution.get();

            assertThat(result.outcome()).isEqualTo(Outcome.KILLED);
            assertThat(result.error().type()).isEqualTo("Killed");
            assertThat(tree).noneMatch(ProcessHandle::isAlive);
        }
        assertThat(executor.kill(runId)).as("a run that ended is not known any more").isFalse();
        assertThat(executor.kill("run_unknown")).isFalse();
    }

    @Test
    void aRunThatExceedsItsTimeoutIsEndedWithEverythingItStarted() throws Exception {
        RecordingSink sink = new RecordingSink();
        List<ProcessHandle> before = ProcessHandle.current().descendants().toList();

        ExecutionResult result = run(fixture.request(nextRunId(), CrewFixture.config(Duration.ofSeconds(3), 1024, 64, false),
                "{\"action\":\"tree\"}", Map.of()), sink);

        assertThat(sink.types()).contains("tree.ready");
        assertThat(result.outcome()).isEqualTo(Outcome.TIMED_OUT);
        assertThat(result.error().type()).isEqualTo("Timeout");
        assertThat(result.error().message()).isEqualTo("run exceeded its timeout of 3s");
        assertThat(ProcessHandle.current().descendants().filter(p -> !before.contains(p))).isEmpty();
    }

    @Test
    void anExceptionInTheCrewFailsTheRunWithItsTypeMessageAndTraceback() throws Exception {
        ExecutionResult result = run(fixture.request(nextRunId(), CrewFixture.defaults(),
                "{\"action\":\"raise\",\"message\":\"topic is required\"}", Map.of()), new RecordingSink());

        assertThat(result.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(result.error().type()).isEqualTo("ValueError");
        assertThat(result.error().message()).isEqualTo("topic is required");
        assertThat(result.error().traceback()).contains("ValueError").contains("crew.py");
    }

    @Test
    void theCrewCannotReadTheServersFiles() throws Exception {
        Path secret = fixture.data.resolve("admin-key");
        Files.writeString(secret, "the admin key");
        for (String path : List.of(secret.toString(), "/etc/shadow", "/root/.bashrc", fixture.environment.toString())) {
            ExecutionResult result = run(fixture.request(nextRunId(), CrewFixture.defaults(),
                    "{\"action\":\"read\",\"path\":\"" + path + "\"}", Map.of()), new RecordingSink());

            assertThat(result.outcome()).as(path).isEqualTo(Outcome.FAILED);
            assertThat(result.error().type()).as(path).isIn("FileNotFoundError", "PermissionError", "IsADirectoryError");
        }
    }

    @Test
    void aRunCannotSeeAnotherRunsArtifacts() throws Exception {
        String victim = nextRunId();
        RecordingSink victimSink = new RecordingSink();
        try (ExecutorService caller = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<ExecutionResult> victimRun = caller.submit(() -> run(fixture.request(victim, CrewFixture.defaults(),
                    "{\"action\":\"echo\",\"tag\":\"private\",\"sleep\":3}", Map.of()), victimSink));
            victimSink.await("agent.completed", Duration.ofSeconds(30));
            Path victimReport = fixture.artifactsDir(victim).resolve("report.md");
            assertThat(victimReport).exists();

            ExecutionResult thief = run(fixture.request(nextRunId(), CrewFixture.defaults(),
                    "{\"action\":\"read\",\"path\":\"" + victimReport + "\"}", Map.of()), new RecordingSink());
            ExecutionResult listing = run(fixture.request(nextRunId(), CrewFixture.defaults(),
                    "{\"action\":\"list\",\"path\":\"/app/artifacts\"}", Map.of()), new RecordingSink());

            assertThat(thief.outcome()).isEqualTo(Outcome.FAILED);
            assertThat(thief.error().type()).isIn("FileNotFoundError", "PermissionError");
            assertThat(listing.output().get("entries")).isEmpty();
            assertThat(victimRun.get().outcome()).isEqualTo(Outcome.SUCCEEDED);
        }
    }

    @Test
    void theCrewHasNoNetworkUnlessTheDeploymentAllowsIt() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            String input = "{\"action\":\"connect\",\"port\":" + server.getLocalPort() + "}";

            ExecutionResult offline = run(fixture.request(nextRunId(), CrewFixture.defaults(), input, Map.of()), new RecordingSink());

            assertThat(offline.outcome()).isEqualTo(Outcome.FAILED);
            assertThat(offline.error().type()).isIn("ConnectionRefusedError", "OSError", "TimeoutError");
            server.setSoTimeout(200);
            try {
                server.accept().close();
                throw new AssertionError("the sandboxed crew reached the host's loopback");
            } catch (SocketTimeoutException expected) {
                // nothing connected
            }

            ExecutionResult online = run(fixture.request(nextRunId(), CrewFixture.config(Duration.ofSeconds(60), 1024, 64, true),
                    input, Map.of()), new RecordingSink());
            assertThat(online.outcome()).as(String.valueOf(online.error())).isEqualTo(Outcome.SUCCEEDED);
        }
    }

    @Test
    void aForkBombFailsItsRunClearlyAndTheNextRunSucceeds() throws Exception {
        ExecutionResult bomb = run(fixture.request(nextRunId(), CrewFixture.config(Duration.ofSeconds(60), 1024, 32, false),
                "{\"action\":\"forkbomb\"}", Map.of()), new RecordingSink());

        assertThat(bomb.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(bomb.error().message()).contains("process limit").contains("max_processes = 32");
        assertThat(RunProcesses.ofRunUids()).isEmpty();

        ExecutionResult next = run(fixture.request(nextRunId(), CrewFixture.defaults(), "{\"action\":\"echo\",\"tag\":\"after\"}", Map.of()),
                new RecordingSink());
        assertThat(next.outcome()).isEqualTo(Outcome.SUCCEEDED);
    }

    @Test
    void allocatingBeyondMemoryMbFailsTheRunClearly() throws Exception {
        ExecutionResult result = run(fixture.request(nextRunId(), CrewFixture.config(Duration.ofSeconds(60), 400, 64, false),
                "{\"action\":\"memory\"}", Map.of()), new RecordingSink());

        assertThat(result.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(result.error().type()).isEqualTo("MemoryError");
        assertThat(result.error().message()).contains("memory_mb = 400");
    }

    @Test
    void tenConcurrentRunsEachSeeOnlyTheirOwnInputAndArtifacts() throws Exception {
        List<String> runIds = new ArrayList<>();
        List<Future<ExecutionResult>> results = new ArrayList<>();
        try (ExecutorService caller = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 10; i++) {
                String runId = nextRunId();
                runIds.add(runId);
                ExecutionRequest request = fixture.request(runId, CrewFixture.defaults(),
                        "{\"action\":\"echo\",\"tag\":\"tag-" + i + "\",\"sleep\":0.5}", Map.of());
                results.add(caller.submit(() -> run(request, new RecordingSink())));
            }
            for (int i = 0; i < 10; i++) {
                ExecutionResult result = results.get(i).get();
                assertThat(result.outcome()).as(String.valueOf(result.error())).isEqualTo(Outcome.SUCCEEDED);
                assertThat(result.output().get("tag").asText()).isEqualTo("tag-" + i);
                assertThat(result.output().get("artifacts")).hasToString("[\"report.md\"]");
                Path artifacts = fixture.artifactsDir(runIds.get(i));
                try (Stream<Path> files = Files.list(artifacts)) {
                    assertThat(files).containsExactly(artifacts.resolve("report.md"));
                }
                assertThat(artifacts.resolve("report.md")).hasContent("report for tag-" + i);
            }
        }
    }

    @Test
    void aSourceWithoutTheArtifactsMountPointIsASandboxError() throws Exception {
        Path source = TestFolders.createDirectory(fixture.data.resolve("deployments/dep_noartifacts/source"), "rwxr-xr-x");
        Files.copy(fixture.source.resolve("crew.py"), source.resolve("crew.py"));

        ExecutionResult result = run(fixture.request(nextRunId(), CrewFixture.defaults(), source, "{}", Map.of()), new RecordingSink());

        assertThat(result.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(result.error().type()).isEqualTo("SandboxError");
        assertThat(result.error().message()).contains(source.toString()).contains("artifacts/");
    }

    @Test
    void aMountTheRunsUidCannotReachFailsWithAMessageNamingThePath() throws Exception {
        Path hidden = TestFolders.createDirectory(fixture.data.resolve("private"), "rwx------");
        Path source = TestFolders.createDirectory(hidden.resolve("source"), "rwxr-xr-x");
        TestFolders.createDirectory(source.resolve("artifacts"), "rwxr-xr-x");
        Files.copy(fixture.source.resolve("crew.py"), source.resolve("crew.py"));

        ExecutionResult result = run(fixture.request(nextRunId(), CrewFixture.defaults(), source, "{}", Map.of()), new RecordingSink());

        assertThat(result.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(result.error().type()).isEqualTo("SandboxError");
        assertThat(result.error().message()).contains(source.toString()).contains("Permission denied").contains("0711");
    }

    @Test
    void describesItselfWithTheBubblewrapVersionAndTheUidPool() {
        assertThat(executor.describe()).startsWith("process (bubblewrap ").contains(RunProcesses.FIRST_RUN_UID + "-" + (RunProcesses.FIRST_RUN_UID + RunProcesses.RUN_UID_COUNT - 1));
    }

    @Test
    void theProbeFindsWorkingSandboxes() {
        BubblewrapProbe.Result probe = BubblewrapProbe.check();
        assertThat(probe.works()).as(probe.detail()).isTrue();
        assertThat(probe.detail()).startsWith("bubblewrap ");
    }
}

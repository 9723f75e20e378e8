package dev.crewship.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.crewship.artifact.ArtifactCollector;
import dev.crewship.artifact.ArtifactLimits;
import dev.crewship.common.DataDir;
import dev.crewship.common.Ids;
import dev.crewship.deployment.Deployment;
import dev.crewship.deployment.DeploymentConfig;
import dev.crewship.deployment.DeploymentStatus;
import dev.crewship.deployment.EnvironmentBuilder;
import dev.crewship.event.Event;
import dev.crewship.event.EventBus;
import dev.crewship.project.Project;
import dev.crewship.store.blob.FileArtifactStore;
import dev.crewship.store.jdbc.JdbcStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The parts the run services work with, real where they run here: a SQLite store and a file
 * artifact store in a fresh data dir, the event bus, and one project with a ready deployment.
 * Only the executor is chosen by each test.
 */
final class RunsFixture implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    final DataDir dataDir;
    final JdbcStore store;
    final FileArtifactStore artifacts;
    final EventBus bus = new EventBus();
    final Clock clock = Clock.systemUTC();
    final Project project;
    final Deployment deployment;

    RunsFixture() {
        try {
            dataDir = new DataDir(Files.createTempDirectory("crewship-runs-"));
            store = JdbcStore.open("jdbc:sqlite:" + dataDir.database());
            artifacts = new FileArtifactStore(dataDir.blobs());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        project = store.projects().create(new Project(Ids.next(Ids.PROJECT), "proj-" + Ids.secret(6).toLowerCase(), null, clock.instant()));
        deployment = readyDeployment(project, Duration.ofMinutes(5));
    }

    Deployment readyDeployment(Project owner, Duration timeout) {
        DeploymentConfig config = new DeploymentConfig("crewai", "crew:kickoff", "3.11", List.of(), timeout,
                DeploymentConfig.DEFAULT_MEMORY_MB, DeploymentConfig.DEFAULT_MAX_PROCESSES, DeploymentConfig.DEFAULT_CPU_TIME, false);
        Deployment created = store.deployments().create(new Deployment(Ids.next(Ids.DEPLOYMENT), owner.id(), DeploymentStatus.BUILDING,
                config, "0".repeat(64), null, null, clock.instant(), null));
        store.deployments().markReady(created.id(), "env-test", clock.instant());
        store.projects().setCurrentDeployment(owner.id(), created.id());
        return store.deployments().findById(created.id()).orElseThrow();
    }

    ArtifactCollector collector() {
        return new ArtifactCollector(artifacts, ArtifactLimits.defaults(), clock);
    }

    RunDispatcher dispatcher(Executor executor, int maxConcurrentRuns) {
        return dispatcher(executor, maxConcurrentRuns, projectId -> RunSecrets.none());
    }

    RunDispatcher dispatcher(Executor executor, int maxConcurrentRuns, RunSecrets.Source secrets) {
        return new RunDispatcher(store.runs(), store.deployments(), store.threads(), executor, collector(), new FixedEnvironments(dataDir),
                dataDir, secrets, bus, clock,
                new RunDispatcherConfig(maxConcurrentRuns, Duration.ofMillis(200), Duration.ofSeconds(10), Duration.ofSeconds(10)));
    }

    /** A pending run of the fixture's deployment, inserted directly (the service's checks are tested elsewhere). */
    Run pendingRun(Map<String, Object> input) {
        JsonNode node = JSON.valueToTree(input);
        return store.runs().create(new Run(Ids.next(Ids.RUN), project.id(), deployment.id(), null, RunStatus.PENDING, node,
                null, null, null, null, clock.instant(), null, null));
    }

    Run run(String id) {
        return store.runs().findById(id).orElseThrow();
    }

    List<Event> events(String runId) {
        return store.runs().events(runId, 0, 10_000);
    }

    Run awaitTerminal(String runId) {
        await(() -> run(runId).status().isTerminal(), "run " + runId + " to finish");
        return run(runId);
    }

    static void await(BooleanSupplier condition, String what) {
        Instant deadline = Instant.now().plusSeconds(30);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out waiting for " + what);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what);
            }
        }
    }

    @Override
    public void close() {
        store.close();
        TestFiles.deleteTree(dataDir.root());
    }

    /** Environments are not built in these tests: the executors here do not start Python. */
    record FixedEnvironments(DataDir dataDir) implements EnvironmentBuilder {
        @Override
        public BuiltEnvironment build(Path sourceDir, DeploymentConfig config, BuildLog log) {
            throw new UnsupportedOperationException("not used by run tests");
        }

        @Override
        public Path environmentDir(String environmentKey) {
            return dataDir.environments().resolve(environmentKey);
        }
    }
}

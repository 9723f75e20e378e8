package dev.crewship.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.crewship.artifact.Artifact;
import dev.crewship.auth.ApiKey;
import dev.crewship.common.Ids;
import dev.crewship.common.Page;
import dev.crewship.common.PageRequest;
import dev.crewship.deployment.Deployment;
import dev.crewship.deployment.DeploymentConfig;
import dev.crewship.deployment.DeploymentStatus;
import dev.crewship.env.EnvVar;
import dev.crewship.error.CrewshipException;
import dev.crewship.error.ProblemType;
import dev.crewship.event.Event;
import dev.crewship.event.EventTypes;
import dev.crewship.event.NewEvent;
import dev.crewship.project.Project;
import dev.crewship.run.Run;
import dev.crewship.run.RunCompletion;
import dev.crewship.run.RunError;
import dev.crewship.run.RunQuery;
import dev.crewship.run.RunStatus;
import dev.crewship.thread.Checkpoint;
import dev.crewship.thread.CrewThread;
import dev.crewship.thread.ThreadBusyException;
import dev.crewship.thread.ThreadQuery;
import dev.crewship.thread.ThreadStatus;
import dev.crewship.usage.TokenUsage;
import dev.crewship.usage.Usage;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link Store} adapter must have. An adapter's test extends this class and
 * returns a fresh, empty store from {@link #newStore()}; every test below runs against it.
 */
public abstract class StoreContract {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant T0 = Instant.parse("2025-03-01T10:00:00Z");

    protected Store store;

    /** A new, empty store; closed by the contract after each test. */
    protected abstract Store newStore();

    /**
     * A second store on the database of the current test's store, as another server process
     * would open it (its own connection pool, its own in-process locks); closed by the test.
     */
    protected abstract Store openSameDatabase();

    @BeforeEach
    void openStore() {
        store = newStore();
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    // ---- projects -------------------------------------------------------------------------------

    @Test
    void projectsAreFoundByIdAndNameAndListedByName() {
        Project zeta = project("zeta-crew");
        Project alpha = project("alpha-crew");

        assertThat(store.projects().findById(zeta.id())).contains(zeta);
        assertThat(store.projects().findByName("alpha-crew")).contains(alpha);
        assertThat(store.projects().findByName("missing")).isEmpty();
        assertThat(store.projects().list()).containsExactly(alpha, zeta);
        assertThat(zeta.currentDeploymentId()).isNull();
    }

    @Test
    void aTakenProjectNameIsAConflictAndChangesNothing() {
        Project first = project("research-crew");
        Project clash = new Project(Ids.next(Ids.PROJECT), "research-crew", null, T0);

        assertThatThrownBy(() -> store.projects().create(clash))
                .isInstanceOfSatisfying(CrewshipException.class, e -> assertThat(e.type()).isEqualTo(ProblemType.CONFLICT));
        assertThat(store.projects().list()).containsExactly(first);
        assertThat(store.projects().findById(clash.id())).isEmpty();
    }

    @Test
    void onlyAReadyDeploymentOfTheSameProjectBecomesCurrent() {
        Project project = project("crew");
        Project other = project("other");
        Deployment building = deployment(project, T0);
        Deployment failed = deployment(project, T0);
        store.deployments().markFailed(failed.id(), "no such package", T0);
        Deployment ready = readyDeployment(project, T0);
        Deployment foreign = readyDeployment(other, T0);

        assertThat(store.projects().setCurrentDeployment(project.id(), building.id())).isFalse();
        assertThat(store.projects().setCurrentDeployment(project.id(), failed.id())).isFalse();
        assertThat(store.projects().setCurrentDeployment(project.id(), foreign.id())).isFalse();
        assertThat(store.projects().setCurrentDeployment(project.id(), "dep_missing")).isFalse();
        assertThat(store.projects().setCurrentDeployment("proj_missing", ready.id())).isFalse();
        assertThat(store.projects().findById(project.id()).orElseThrow().currentDeploymentId())
                .as("becoming ready made it current; nothing else did").isEqualTo(ready.id());

        assertThat(store.projects().setCurrentDeployment(project.id(), ready.id())).isTrue();
        assertThat(store.projects().findById(project.id()).orElseThrow().currentDeploymentId()).isEqualTo(ready.id());

        Deployment newer = readyDeployment(project, T0.plusSeconds(60));
        assertThat(store.projects().setCurrentDeployment(project.id(), newer.id())).isTrue();
        assertThat(store.projects().setCurrentDeployment(project.id(), ready.id())).as("rollback").isTrue();
        assertThat(store.projects().findById(project.id()).orElseThrow().currentDeploymentId()).isEqualTo(ready.id());
        assertThat(store.projects().findById(other.id()).orElseThrow().currentDeploymentId()).isEqualTo(foreign.id());
    }

    @Test
    void deletingAProjectDeletesEverythingItOwnsAndNothingElse() {
        Project doomed = project("doomed");
        Project kept = project("kept");
        Deployment dep = readyDeployment(doomed, T0);
        store.projects().setCurrentDeployment(doomed.id(), dep.id());
        store.deployments().appendBuildLog(dep.id(), "installing\n");
        Run finished = finishedRun(dep, "report.md");
        Run canceled = store.runs().finish(pendingRun(dep, T0).id(), canceledAt(T0.plusSeconds(1))).orElseThrow();
        store.envVars().putAll(List.of(envVar(doomed, "TOKEN", "a")));
        ApiKey key = apiKey(doomed.id(), "ci");

        Deployment keptDep = readyDeployment(kept, T0);
        Run keptRun = finishedRun(keptDep, "kept.md");
        store.envVars().putAll(List.of(envVar(kept, "TOKEN", "b")));
        ApiKey keptKey = apiKey(kept.id(), "ci");
        ApiKey admin = apiKey(null, "admin");

        assertThat(store.projects().delete(doomed.id())).isTrue();

        assertThat(store.projects().findById(doomed.id())).isEmpty();
        assertThat(store.deployments().findById(dep.id())).isEmpty();
        assertThat(store.deployments().buildLog(dep.id(), 0)).isEmpty();
        assertThat(store.runs().findById(finished.id())).isEmpty();
        assertThat(store.runs().findById(canceled.id())).isEmpty();
        assertThat(store.runs().events(finished.id(), 0, 100)).isEmpty();
        assertThat(store.artifacts().list(finished.id())).isEmpty();
        assertThat(store.envVars().list(doomed.id())).isEmpty();
        assertThat(store.apiKeys().findById(key.id())).isEmpty();
        assertThat(store.runs().usage(doomed.id()).totalRuns()).isZero();

        assertThat(store.projects().list()).extracting(Project::id).containsExactly(kept.id());
        assertThat(store.runs().findById(keptRun.id())).isPresent();
        assertThat(store.runs().events(keptRun.id(), 0, 100)).isNotEmpty();
        assertThat(store.artifacts().list(keptRun.id())).hasSize(1);
        assertThat(store.envVars().list(kept.id())).hasSize(1);
        assertThat(store.apiKeys().findById(keptKey.id())).isPresent();
        assertThat(store.apiKeys().findById(admin.id())).isPresent();
    }

    // ---- deployments ----------------------------------------------------------------------------

    @Test
    void aDeploymentIsStoredWithItsConfiguration() {
        Project project = project("crew");
        DeploymentConfig config = new DeploymentConfig("crewai", "crew:kickoff", "3.11", List.of("*.log", ".venv/"),
                Duration.ofMinutes(5), 512, 64, Duration.ofSeconds(90), true, true);
        Deployment created = store.deployments().create(new Deployment(Ids.next(Ids.DEPLOYMENT), project.id(), DeploymentStatus.BUILDING,
                config, "ab".repeat(32), null, null, T0, null));

        Deployment found = store.deployments().findById(created.id()).orElseThrow();
        assertThat(found).isEqualTo(created);
        assertThat(found.config()).isEqualTo(config);
        assertThat(found.status()).isEqualTo(DeploymentStatus.BUILDING);
        assertThat(store.deployments().findById("dep_missing")).isEmpty();
    }

    @Test
    void aDeploymentOfAMissingProjectIsNotFound() {
        Deployment orphan = new Deployment(Ids.next(Ids.DEPLOYMENT), "proj_missing", DeploymentStatus.BUILDING, config(), "00".repeat(32),
                null, null, T0, null);

        assertThatThrownBy(() -> store.deployments().create(orphan))
                .isInstanceOfSatisfying(CrewshipException.class, e -> assertThat(e.type()).isEqualTo(ProblemType.NOT_FOUND));
        assertThat(store.deployments().findById(orphan.id())).isEmpty();
    }

    @Test
    void deploymentsArePagedNewestFirst() {
        Project project = project("crew");
        Project other = project("other");
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(deployment(project, T0.plusSeconds(i)).id());
        }
        deployment(other, T0);

        List<Deployment> all = collectPages(page -> store.deployments().list(project.id(), page), 2, Deployment::id);

        assertThat(all).extracting(Deployment::id).containsExactlyElementsOf(descending(ids));
        Page<Deployment> last = store.deployments().list(project.id(), new PageRequest(2, all.get(3).id()));
        assertThat(last.data()).extracting(Deployment::id).containsExactly(all.get(4).id());
        assertThat(last.hasMore()).isFalse();
        assertThat(last.nextCursor()).isNull();
    }

    @Test
    void aDeploymentBecomesReadyOnceOnly() {
        Deployment dep = deployment(project("crew"), T0);
        Instant at = T0.plusSeconds(30);

        assertThat(store.deployments().markReady(dep.id(), "env-key-1", at)).isTrue();
        assertThat(store.deployments().markReady(dep.id(), "env-key-2", at.plusSeconds(1))).isFalse();
        assertThat(store.deployments().markFailed(dep.id(), "late failure", at.plusSeconds(2))).isFalse();
        assertThat(store.deployments().markReady("dep_missing", "env-key", at)).isFalse();

        Deployment ready = store.deployments().findById(dep.id()).orElseThrow();
        assertThat(ready.status()).isEqualTo(DeploymentStatus.READY);
        assertThat(ready.environmentKey()).isEqualTo("env-key-1");
        assertThat(ready.readyAt()).isEqualTo(at);
        assertThat(ready.error()).isNull();
    }

    @Test
    void becomingReadyMakesADeploymentCurrentUnlessANewerOneIs() {
        Project project = project("crew");
        Deployment older = deployment(project, T0);
        Deployment newer = deployment(project, T0.plusSeconds(1));

        assertThat(store.deployments().markReady(newer.id(), "env", T0.plusSeconds(5))).isTrue();
        assertThat(store.projects().findById(project.id()).orElseThrow().currentDeploymentId()).isEqualTo(newer.id());

        assertThat(store.deployments().markReady(older.id(), "env", T0.plusSeconds(6))).isTrue();
        assertThat(store.projects().findById(project.id()).orElseThrow().currentDeploymentId())
                .as("a build finishing late does not move the project back").isEqualTo(newer.id());
    }

    @Test
    void aDeploymentFailsOnceOnly() {
        Deployment dep = deployment(project("crew"), T0);

        assertThat(store.deployments().markFailed(dep.id(), "pip: no matching distribution for nosuchpkg", T0)).isTrue();
        assertThat(store.deployments().markFailed(dep.id(), "another reason", T0)).isFalse();
        assertThat(store.deployments().markReady(dep.id(), "env-key", T0)).isFalse();

        Deployment failed = store.deployments().findById(dep.id()).orElseThrow();
        assertThat(failed.status()).isEqualTo(DeploymentStatus.FAILED);
        assertThat(failed.error()).isEqualTo("pip: no matching distribution for nosuchpkg");
        assertThat(failed.environmentKey()).isNull();
        assertThat(failed.readyAt()).isNull();
    }

    @Test
    void onlyBuildingDeploymentsAreListedAsBuilding() {
        Project project = project("crew");
        Deployment building = deployment(project, T0);
        Deployment alsoBuilding = deployment(project, T0);
        readyDeployment(project, T0);
        Deployment failed = deployment(project, T0);
        store.deployments().markFailed(failed.id(), "broken", T0);

        assertThat(store.deployments().listBuilding()).containsExactlyInAnyOrder(building.id(), alsoBuilding.id());
    }

    @Test
    void theBuildLogGrowsAndIsReadFromAnOffset() {
        Deployment dep = deployment(project("crew"), T0);
        assertThat(store.deployments().buildLog(dep.id(), 0)).isEmpty();

        store.deployments().appendBuildLog(dep.id(), "Resolving dependencies\n");
        store.deployments().appendBuildLog(dep.id(), "");
        store.deployments().appendBuildLog(dep.id(), "Installed crewai — ✓ 🚀\n");
        store.deployments().appendBuildLog(dep.id(), "done\n");

        String whole = "Resolving dependencies\nInstalled crewai — ✓ 🚀\ndone\n";
        assertThat(store.deployments().buildLog(dep.id(), 0)).isEqualTo(whole);
        for (int offset : new int[] {1, 23, 24, 30, whole.length() - 1}) {
            assertThat(store.deployments().buildLog(dep.id(), offset)).as("from %d", offset).isEqualTo(whole.substring(offset));
        }
        assertThat(store.deployments().buildLog(dep.id(), whole.length())).isEmpty();
        assertThat(store.deployments().buildLog(dep.id(), whole.length() + 100)).isEmpty();

        // A reader that follows the log with offset += what it read sees every character once.
        StringBuilder followed = new StringBuilder(store.deployments().buildLog(dep.id(), 0));
        store.deployments().appendBuildLog(dep.id(), "more\n");
        followed.append(store.deployments().buildLog(dep.id(), followed.length()));
        assertThat(followed.toString()).isEqualTo(whole + "more\n");
    }

    @Test
    void appendingToTheBuildLogOfAMissingDeploymentIsNotFound() {
        assertThatThrownBy(() -> store.deployments().appendBuildLog("dep_missing", "text"))
                .isInstanceOfSatisfying(CrewshipException.class, e -> assertThat(e.type()).isEqualTo(ProblemType.NOT_FOUND));
    }

    // ---- runs -----------------------------------------------------------------------------------

    @Test
    void aRunIsStoredAsCreated() {
        Deployment dep = readyDeployment(project("crew"), T0);
        ObjectNode input = JSON.createObjectNode().put("topic", "AI agents").put("depth", 3);
        input.putArray("tags").add("a").add("b");
        Run created = store.runs().create(new Run(Ids.next(Ids.RUN), dep.projectId(), dep.id(), "thr_123", RunStatus.PENDING, input,
                null, null, "key-1", null, T0.plusNanos(1_234_567), null, null));

        assertThat(created.createdAt()).isEqualTo(T0.plusMillis(1));
        Run found = store.runs().findById(created.id()).orElseThrow();
        assertThat(found).isEqualTo(created);
        assertThat(found.input()).isEqualTo(input);
        assertThat(found.threadId()).isEqualTo("thr_123");
        assertThat(found.status()).isEqualTo(RunStatus.PENDING);
        assertThat(store.runs().findById("run_missing")).isEmpty();
        assertThat(store.runs().events(created.id(), 0, 10)).isEmpty();
    }

    @Test
    void aNewRunMustBePending() {
        Deployment dep = readyDeployment(project("crew"), T0);
        Run running = new Run(Ids.next(Ids.RUN), dep.projectId(), dep.id(), null, RunStatus.RUNNING, JSON.createObjectNode(), null, null,
                null, "node-1", T0, T0, null);

        assertThatThrownBy(() -> store.runs().create(running)).isInstanceOf(IllegalArgumentException.class);
        assertThat(store.runs().findById(running.id())).isEmpty();
    }

    @Test
    void aRunOfAMissingDeploymentIsNotFound() {
        Project project = project("crew");
        Run orphan = new Run(Ids.next(Ids.RUN), project.id(), "dep_missing", null, RunStatus.PENDING, JSON.createObjectNode(), null, null,
                null, null, T0, null, null);

        assertThatThrownBy(() -> store.runs().create(orphan))
                .isInstanceOfSatisfying(CrewshipException.class, e -> assertThat(e.type()).isEqualTo(ProblemType.NOT_FOUND));
        assertThat(store.runs().findById(orphan.id())).isEmpty();
    }

    @Test
    void anIdempotencyKeyFindsItsRunAndIsUniquePerProject() {
        Deployment dep = readyDeployment(project("crew"), T0);
        Deployment otherDep = readyDeployment(project("other"), T0);
        Run first = store.runs().create(newRun(dep, T0, "order-42"));
        Run sameKeyOtherProject = store.runs().create(newRun(otherDep, T0, "order-42"));
        pendingRun(dep, T0);

        assertThat(store.runs().findByIdempotencyKey(dep.projectId(), "order-42")).contains(first);
        assertThat(store.runs().findByIdempotencyKey(otherDep.projectId(), "order-42")).contains(sameKeyOtherProject);
        assertThat(store.runs().findByIdempotencyKey(dep.projectId(), "order-43")).isEmpty();

        Run repeat = newRun(dep, T0.plusSeconds(1), "order-42");
        assertThatThrownBy(() -> store.runs().create(repeat))
                .isInstanceOfSatisfying(CrewshipException.class, e -> assertThat(e.type()).isEqualTo(ProblemType.CONFLICT));
        assertThat(store.runs().findById(repeat.id())).isEmpty();
        assertThat(store.runs().findByIdempotencyKey(dep.projectId(), "order-42")).contains(first);
    }

    @Test
    void runsArePagedNewestFirstWithACursor() {
        Deployment dep = readyDeployment(project("crew"), T0);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            ids.add(pendingRun(dep, T0.plusSeconds(i)).id());
        }

        Page<Run> first = store.runs().list(new RunQuery(dep.projectId(), null, null, null), PageRequest.first(10));
        assertThat(first.data()).hasSize(10);
        assertThat(first.hasMore()).isTrue();
        assertThat(first.nextCursor()).isEqualTo(first.data().get(9).id());

        List<Run> all = collectPages(page -> store.runs().list(new RunQuery(dep.projectId(), null, null, null), page), 10, Run::id);
        assertThat(all).extracting(Run::id).containsExactlyElementsOf(descending(ids));

        List<Run> unfiltered = collectPages(page -> store.runs().list(new RunQuery(null, null, null, null), page), 7, Run::id);
        assertThat(unfiltered).extracting(Run::id).containsExactlyElementsOf(descending(ids));
    }

    @Test
    void runsAreFilteredByProjectDeploymentThreadAndStatus() {
        Project project = project("crew");
        Deployment depA = readyDeployment(project, T0);
        Deployment depB = readyDeployment(project, T0);
        Deployment otherDep = readyDeployment(project("other"), T0);
        Run a1 = pendingRun(depA, T0);
        Run a2 = store.runs().create(new Run(Ids.next(Ids.RUN), project.id(), depA.id(), "thr_1", RunStatus.PENDING, JSON.createObjectNode(),
                null, null, null, null, T0.plusSeconds(1), null, null));
        Run b1 = pendingRun(depB, T0.plusSeconds(2));
        Run other = pendingRun(otherDep, T0.plusSeconds(3));
        store.runs().claimPending("node-1", 1, T0.plusSeconds(10));
        Run finished = finishedRun(depB, null);

        assertThat(listIds(new RunQuery(project.id(), null, null, null))).containsExactlyInAnyOrder(a1.id(), a2.id(), b1.id(), finished.id());
        assertThat(listIds(new RunQuery(null, depA.id(), null, null))).containsExactlyInAnyOrder(a1.id(), a2.id());
        assertThat(listIds(new RunQuery(project.id(), depB.id(), null, null))).containsExactlyInAnyOrder(b1.id(), finished.id());
        assertThat(listIds(new RunQuery(null, null, "thr_1", null))).containsExactly(a2.id());
        assertThat(listIds(new RunQuery(project.id(), null, null, RunStatus.RUNNING))).containsExactly(a1.id());
        assertThat(listIds(new RunQuery(project.id(), null, null, RunStatus.PENDING))).containsExactlyInAnyOrder(a2.id(), b1.id());
        assertThat(listIds(new RunQuery(project.id(), null, null, RunStatus.SUCCEEDED))).containsExactly(finished.id());
        assertThat(listIds(new RunQuery(null, null, null, RunStatus.PENDING))).containsExactlyInAnyOrder(a2.id(), b1.id(), other.id());
        assertThat(listIds(new RunQuery(otherDep.projectId(), depA.id(), null, null))).isEmpty();
    }

    @Test
    void claimingTakesTheOldestPendingRunsAndRecordsTheirStart() {
        Deployment dep = readyDeployment(project("crew"), T0);
        Run newest = pendingRun(dep, T0.plusSeconds(2));
        Run oldest = pendingRun(dep, T0);
        Run middle = pendingRun(dep, T0.plusSeconds(1));
        Instant at = T0.plusSeconds(10);

        List<Run> claimed = store.runs().claimPending("node-1", 2, at);

        assertThat(claimed).extracting(Run::id).containsExactly(oldest.id(), middle.id());
        for (Run run : claimed) {
            assertThat(run.status()).isEqualTo(RunStatus.RUNNING);
            assertThat(run.owner()).isEqualTo("node-1");
            assertThat(run.startedAt()).isEqualTo(at);
            assertThat(store.runs().findById(run.id())).contains(run);
            List<Event> events = store.runs().events(run.id(), 0, 10);
            assertThat(events).hasSize(1);
            assertThat(events.get(0).seq()).isEqualTo(1);
            assertThat(events.get(0).type()).isEqualTo(EventTypes.RUN_STARTED);
            assertThat(events.get(0).data().path("deployment_id").asText()).isEqualTo(dep.id());
            assertThat(events.get(0).createdAt()).isEqualTo(at);
        }
        assertThat(store.runs().findById(newest.id()).orElseThrow().status()).isEqualTo(RunStatus.PENDING);
        assertThat(store.runs().claimPending("node-2", 10, at)).extracting(Run::id).containsExactly(newest.id());
        assertThat(store.runs().claimPending("node-2", 10, at)).isEmpty();
        assertThat(store.runs().claimPending("node-2", 0, at)).isEmpty();
    }

    @Test
    void runsClaimedFromManyThreadsAtOnceAreEachClaimedExactlyOnce() throws Exception {
        Deployment dep = readyDeployment(project("crew"), T0);
        Set<String> created = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            created.add(pendingRun(dep, T0.plusMillis(i)).id());
        }

        List<List<Run>> claims = concurrently(8, worker -> {
            List<Run> mine = new ArrayList<>();
            List<Run> batch;
            while (!(batch = store.runs().claimPending("node-" + worker, 3, T0.plusSeconds(60))).isEmpty()) {
                mine.addAll(batch);
            }
            return mine;
        });

        List<String> claimedIds = claims.stream().flatMap(List::stream).map(Run::id).toList();
        assertThat(claimedIds).hasSize(200).doesNotHaveDuplicates();
        assertThat(new HashSet<>(claimedIds)).isEqualTo(created);
        for (List<Run> workerClaims : claims) {
            for (Run run : workerClaims) {
                Run stored = store.runs().findById(run.id()).orElseThrow();
                assertThat(stored.status()).isEqualTo(RunStatus.RUNNING);
                assertThat(stored.owner()).isEqualTo(run.owner());
                assertThat(store.runs().events(run.id(), 0, 10)).extracting(Event::type).containsExactly(EventTypes.RUN_STARTED);
            }
        }
        assertThat(store.runs().listUnfinished()).hasSize(200).allMatch(r -> r.status() == RunStatus.RUNNING);
    }

    @Test
    void eventsAppendedConcurrentlyGetContiguousSequenceNumbers() throws Exception {
        Run run = runningRun(readyDeployment(project("crew"), T0));
        int threads = 6;
        int perThread = 40;

        List<List<Event>> appended = concurrently(threads, worker -> {
            List<Event> mine = new ArrayList<>();
            for (int i = 0; i < perThread; i++) {
                mine.add(store.runs().appendEvent(run.id(), log("worker " + worker + " line " + i), T0.plusSeconds(1)).orElseThrow());
            }
            return mine;
        });

        long total = 1 + (long) threads * perThread;
        List<Event> stored = store.runs().events(run.id(), 0, 1000);
        assertThat(stored).extracting(Event::seq).containsExactlyElementsOf(LongStream.rangeClosed(1, total).boxed().toList());
        assertThat(appended.stream().flatMap(List::stream).map(Event::seq).toList())
                .doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(LongStream.rangeClosed(2, total).boxed().toList());
        for (List<Event> workerEvents : appended) {
            assertThat(workerEvents).extracting(Event::seq).isSorted();
        }
    }

    @Test
    void eventsAppendedWhileTheRunFinishesNeverFollowTheTerminalEvent() throws Exception {
        Run run = runningRun(readyDeployment(project("crew"), T0));
        CountDownLatch someAppended = new CountDownLatch(20);

        List<Integer> outcomes = concurrently(5, worker -> {
            if (worker == 0) {
                someAppended.await();
                return store.runs().finish(run.id(), succeeded(T0.plusSeconds(5))).isPresent() ? 1 : 0;
            }
            int appended = 0;
            while (store.runs().appendEvent(run.id(), log("line"), T0.plusSeconds(1)).isPresent()) {
                appended++;
                someAppended.countDown();
            }
            return appended;
        });

        assertThat(outcomes.get(0)).isEqualTo(1);
        List<Event> events = store.runs().events(run.id(), 0, 100_000);
        assertThat(events).extracting(Event::seq)
                .containsExactlyElementsOf(LongStream.rangeClosed(1, events.size()).boxed().toList());
        assertThat(events.getLast().type()).isEqualTo(EventTypes.RUN_COMPLETED);
        assertThat(events.stream().filter(Event::isTerminal)).hasSize(1);
        int appendedTotal = outcomes.subList(1, outcomes.size()).stream().mapToInt(Integer::intValue).sum();
        assertThat(events).hasSize(1 + appendedTotal + 1);
    }

    @Test
    void appendingReturnsTheStoredEvent() {
        Run run = pendingRun(readyDeployment(project("crew"), T0), T0);
        ObjectNode data = JSON.createObjectNode().put("agent", "Researcher").put("task", "Research topic");

        Event event = store.runs().appendEvent(run.id(), new NewEvent(EventTypes.AGENT_STARTED, data), T0.plusNanos(2_500_000)).orElseThrow();

        assertThat(event.runId()).isEqualTo(run.id());
        assertThat(event.seq()).isEqualTo(1);
        assertThat(event.type()).isEqualTo(EventTypes.AGENT_STARTED);
        assertThat(event.data()).isEqualTo(data);
        assertThat(event.createdAt()).isEqualTo(T0.plusMillis(2));
        assertThat(store.runs().events(run.id(), 0, 10)).containsExactly(event);
    }

    @Test
    void eventsAppendedTogetherAreStoredInOrderWithConsecutiveNumbers() {
        Run run = runningRun(readyDeployment(project("crew"), T0));
        store.runs().appendEvent(run.id(), log("before"), T0.plusSeconds(1));
        ObjectNode agent = JSON.createObjectNode().put("agent", "Researcher").put("task", "Research topic");

        List<Event> stored = store.runs().appendEvents(run.id(),
                List.of(log("line 1"), log("line 2"), new NewEvent(EventTypes.AGENT_STARTED, agent)), T0.plusNanos(3_500_000_000L));

        assertThat(stored).extracting(Event::seq, Event::type)
                .containsExactly(tuple(3L, EventTypes.LOG), tuple(4L, EventTypes.LOG), tuple(5L, EventTypes.AGENT_STARTED));
        assertThat(stored).extracting(Event::createdAt).containsOnly(T0.plusMillis(3500));
        assertThat(stored.getLast().data()).isEqualTo(agent);
        assertThat(store.runs().events(run.id(), 2, 10)).isEqualTo(stored);
        assertThat(store.runs().appendEvent(run.id(), log("after"), T0.plusSeconds(4)).orElseThrow().seq()).isEqualTo(6);
        assertThat(store.runs().appendEvents(run.id(), List.of(), T0.plusSeconds(5))).isEmpty();
    }

    @Test
    void eventsAppendedTogetherIncludeNoTerminalOneAndNoneReachAFinishedRun() {
        Run run = runningRun(readyDeployment(project("crew"), T0));

        assertThatThrownBy(() -> store.runs().appendEvents(run.id(),
                List.of(log("line"), new NewEvent(EventTypes.RUN_COMPLETED, JSON.createObjectNode())), T0))
                .isInstanceOf(IllegalArgumentException.class);
        store.runs().finish(run.id(), succeeded(T0.plusSeconds(5)));

        assertThat(store.runs().appendEvents(run.id(), List.of(log("too"), log("late")), T0.plusSeconds(6))).isEmpty();
        assertThat(store.runs().events(run.id(), 0, 100)).extracting(Event::type)
                .containsExactly(EventTypes.RUN_STARTED, EventTypes.RUN_COMPLETED);
        assertThatThrownBy(() -> store.runs().appendEvents("run_missing", List.of(log("x")), T0))
                .isInstanceOfSatisfying(CrewshipException.class, e -> assertThat(e.type()).isEqualTo(ProblemType.NOT_FOUND));
    }

    @Test
    void terminalEventsAreWrittenOnlyByFinish() {
        Run run = runningRun(readyDeployment(project("crew"), T0));

        assertThatThrownBy(() -> store.runs().appendEvent(run.id(), new NewEvent(EventTypes.RUN_COMPLETED, JSON.createObjectNode()), T0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(store.runs().events(run.id(), 0, 10)).hasSize(1);
        assertThat(store.runs().findById(run.id()).orElseThrow().status()).isEqualTo(RunStatus.RUNNING);
    }

    @Test
    void finishingWritesStatusOutputArtifactsAndEventsTogether() {
        Run run = runningRun(readyDeployment(project("crew"), T0));
        store.runs().appendEvent(run.id(), log("working"), T0.plusSeconds(2));
        Instant at = T0.plusSeconds(12);
        JsonNode output = JSON.createObjectNode().put("raw", "# Report");
        List<Artifact> artifacts = List.of(
                new Artifact(run.id(), "report.md", 1234, "text/markdown", "aa".repeat(32), at),
                new Artifact(run.id(), "charts/q1.png", 99, "image/png", "bb".repeat(32), at));
        List<NewEvent> events = List.of(
                new NewEvent(EventTypes.ARTIFACT, JSON.createObjectNode().put("name", "report.md").put("size", 1234)),
                new NewEvent(EventTypes.ARTIFACT, JSON.createObjectNode().put("name", "charts/q1.png").put("size", 99)),
                new NewEvent(EventTypes.RUN_COMPLETED, JSON.createObjectNode().put("duration_ms", 11_000)));

        Run finished = store.runs().finish(run.id(), new RunCompletion(RunStatus.SUCCEEDED, output, null, artifacts, events, at)).orElseThrow();

        assertThat(finished.status()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(finished.output()).isEqualTo(output);
        assertThat(finished.error()).isNull();
        assertThat(finished.finishedAt()).isEqualTo(at);
        assertThat(finished.startedAt()).isEqualTo(run.startedAt());
        assertThat(finished.owner()).isEqualTo(run.owner());
        assertThat(finished.duration()).isEqualTo(Duration.ofSeconds(11));
        assertThat(store.runs().findById(run.id())).contains(finished);

        assertThat(store.artifacts().list(run.id())).extracting(Artifact::name).containsExactly("charts/q1.png", "report.md");
        assertThat(store.artifacts().find(run.id(), "report.md")).contains(artifacts.get(0));
        assertThat(store.artifacts().find(run.id(), "missing.md")).isEmpty();
        assertThat(store.artifacts().list("run_missing")).isEmpty();

        List<Event> stored = store.runs().events(run.id(), 0, 100);
        assertThat(stored).extracting(Event::seq).containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThat(stored).extracting(Event::type)
                .containsExactly(EventTypes.RUN_STARTED, EventTypes.LOG, EventTypes.ARTIFACT, EventTypes.ARTIFACT, EventTypes.RUN_COMPLETED);
        assertThat(stored.getLast().data().path("duration_ms").asLong()).isEqualTo(11_000);
        assertThat(stored.getLast().createdAt()).isEqualTo(at);
        assertThat(store.runs().listUnfinished()).isEmpty();
    }

    @Test
    void aFailedRunKeepsItsError() {
        Run run = runningRun(readyDeployment(project("crew"), T0));
        RunError error = new RunError("ValueError", "topic must not be empty", "Traceback (most recent call last):\n  ...");

        Run failed = store.runs().finish(run.id(), new RunCompletion(RunStatus.FAILED, null, error, List.of(),
                List.of(new NewEvent(EventTypes.RUN_FAILED, JSON.createObjectNode().put("duration_ms", 10))), T0.plusSeconds(3))).orElseThrow();

        assertThat(failed.error()).isEqualTo(error);
        assertThat(failed.output()).isNull();
        assertThat(store.runs().findById(run.id()).orElseThrow().error()).isEqualTo(error);
    }

    @Test
    void finishingTwiceChangesNothingTheSecondTime() {
        Run run = runningRun(readyDeployment(project("crew"), T0));
        Run finished = store.runs().finish(run.id(), succeeded(T0.plusSeconds(5))).orElseThrow();
        List<Event> events = store.runs().events(run.id(), 0, 100);

        RunCompletion cancel = new RunCompletion(RunStatus.CANCELED, null, RunError.of("Canceled", "canceled by user"),
                List.of(new Artifact(run.id(), "late.txt", 1, "text/plain", "cc".repeat(32), T0)),
                List.of(new NewEvent(EventTypes.RUN_CANCELED, JSON.createObjectNode())), T0.plusSeconds(9));

        assertThat(store.runs().finish(run.id(), cancel)).isEmpty();
        assertThat(store.runs().finish(run.id(), succeeded(T0.plusSeconds(10)))).isEmpty();
        assertThat(store.runs().findById(run.id())).contains(finished);
        assertThat(store.runs().events(run.id(), 0, 100)).isEqualTo(events);
        assertThat(store.artifacts().list(run.id())).isEmpty();
    }

    @Test
    void nothingIsAppendedToAFinishedRun() {
        Run run = runningRun(readyDeployment(project("crew"), T0));
        store.runs().finish(run.id(), succeeded(T0.plusSeconds(5)));

        assertThat(store.runs().appendEvent(run.id(), log("too late"), T0.plusSeconds(6))).isEmpty();
        assertThat(store.runs().events(run.id(), 0, 100)).extracting(Event::type)
                .containsExactly(EventTypes.RUN_STARTED, EventTypes.RUN_COMPLETED);
    }

    @Test
    void aPendingRunCanBeCanceledDirectly() {
        Run run = pendingRun(readyDeployment(project("crew"), T0), T0);

        Run canceled = store.runs().finish(run.id(), new RunCompletion(RunStatus.CANCELED, null, null, List.of(),
                List.of(new NewEvent(EventTypes.RUN_CANCELED, JSON.createObjectNode())), T0.plusSeconds(1))).orElseThrow();

        assertThat(canceled.status()).isEqualTo(RunStatus.CANCELED);
        assertThat(canceled.startedAt()).isNull();
        assertThat(canceled.finishedAt()).isEqualTo(T0.plusSeconds(1));
        assertThat(store.runs().events(run.id(), 0, 10)).extracting(Event::seq, Event::type)
                .containsExactly(tuple(1L, EventTypes.RUN_CANCELED));
        assertThat(store.runs().claimPending("node-1", 10, T0.plusSeconds(2))).isEmpty();
    }

    @Test
    void aCompletionWithoutItsTerminalEventIsRejectedAndChangesNothing() {
        Run run = runningRun(readyDeployment(project("crew"), T0));
        Artifact artifact = new Artifact(run.id(), "report.md", 1, "text/markdown", "dd".repeat(32), T0);
        JsonNode empty = JSON.createObjectNode();
        List<RunCompletion> malformed = List.of(
                new RunCompletion(RunStatus.SUCCEEDED, null, null, List.of(artifact), List.of(), T0),
                new RunCompletion(RunStatus.SUCCEEDED, null, null, List.of(), List.of(new NewEvent(EventTypes.RUN_FAILED, empty)), T0),
                new RunCompletion(RunStatus.SUCCEEDED, null, null, List.of(artifact),
                        List.of(new NewEvent(EventTypes.RUN_COMPLETED, empty), new NewEvent(EventTypes.ARTIFACT, empty)), T0),
                new RunCompletion(RunStatus.FAILED, null, null, List.of(),
                        List.of(new NewEvent(EventTypes.RUN_COMPLETED, empty), new NewEvent(EventTypes.RUN_FAILED, empty)), T0),
                new RunCompletion(RunStatus.SUCCEEDED, null, null, List.of(artifact, artifact),
                        List.of(new NewEvent(EventTypes.RUN_COMPLETED, empty)), T0));

        for (RunCompletion completion : malformed) {
            assertThatThrownBy(() -> store.runs().finish(run.id(), completion)).isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(store.runs().findById(run.id())).contains(run);
        assertThat(store.runs().events(run.id(), 0, 10)).hasSize(1);
        assertThat(store.artifacts().list(run.id())).isEmpty();
    }

    @Test
    void aMissingRunIsNotFoundWhenWrittenTo() {
        assertThatThrownBy(() -> store.runs().finish("run_missing", succeeded(T0)))
                .isInstanceOfSatisfying(CrewshipException.class, e -> assertThat(e.type()).isEqualTo(ProblemType.NOT_FOUND));
        assertThatThrownBy(() -> store.runs().appendEvent("run_missing", log("x"), T0))
                .isInstanceOfSatisfying(CrewshipException.class, e -> assertThat(e.type()).isEqualTo(ProblemType.NOT_FOUND));
        assertThat(store.runs().events("run_missing", 0, 10)).isEmpty();
    }

    @Test
    void eventsAreReadAfterASequenceNumberUpToALimit() {
        Run run = runningRun(readyDeployment(project("crew"), T0));
        for (int i = 0; i < 9; i++) {
            store.runs().appendEvent(run.id(), log("line " + i), T0.plusSeconds(i));
        }

        assertThat(store.runs().events(run.id(), 0, 4)).extracting(Event::seq).containsExactly(1L, 2L, 3L, 4L);
        assertThat(store.runs().events(run.id(), 4, 4)).extracting(Event::seq).containsExactly(5L, 6L, 7L, 8L);
        assertThat(store.runs().events(run.id(), 8, 4)).extracting(Event::seq).containsExactly(9L, 10L);
        assertThat(store.runs().events(run.id(), 10, 4)).isEmpty();
        assertThat(store.runs().events(run.id(), 3, 1).get(0).data().path("message").asText()).isEqualTo("line 2");
    }

    @Test
    void unfinishedRunsAreListedOldestFirst() {
        Deployment dep = readyDeployment(project("crew"), T0);
        Run pendingNew = pendingRun(dep, T0.plusSeconds(3));
        Run claimed = pendingRun(dep, T0);
        store.runs().claimPending("node-1", 1, T0.plusSeconds(4));
        Run done = pendingRun(dep, T0.plusSeconds(1));
        store.runs().finish(done.id(), new RunCompletion(RunStatus.CANCELED, null, null, List.of(),
                List.of(new NewEvent(EventTypes.RUN_CANCELED, JSON.createObjectNode())), T0.plusSeconds(5)));
        Run pendingOld = pendingRun(dep, T0.plusSeconds(2));

        assertThat(store.runs().listUnfinished()).extracting(Run::id, Run::status).containsExactly(
                tuple(claimed.id(), RunStatus.RUNNING),
                tuple(pendingOld.id(), RunStatus.PENDING),
                tuple(pendingNew.id(), RunStatus.PENDING));
    }

    @Test
    void usageCountsRunsByStatusAndSumsFinishedRunTime() {
        Deployment dep = readyDeployment(project("crew"), T0);
        Deployment otherDep = readyDeployment(project("other"), T0);
        finishAfter(dep, RunStatus.SUCCEEDED, Duration.ofMillis(1500));
        finishAfter(dep, RunStatus.SUCCEEDED, Duration.ofMillis(2500));
        finishAfter(dep, RunStatus.FAILED, Duration.ofSeconds(1));
        finishAfter(otherDep, RunStatus.SUCCEEDED, Duration.ofSeconds(100));
        Run canceledBeforeStart = pendingRun(dep, T0);
        store.runs().finish(canceledBeforeStart.id(), new RunCompletion(RunStatus.CANCELED, null, null, List.of(),
                List.of(new NewEvent(EventTypes.RUN_CANCELED, JSON.createObjectNode())), T0.plusSeconds(50)));
        Run running = runningRun(dep);
        pendingRun(dep, T0);
        Run otherRunning = runningRun(otherDep);
        store.runs().appendEvent(running.id(), llmCompleted("{\"prompt_tokens\":100,\"completion_tokens\":20,\"total_tokens\":120}"), T0);
        store.runs().appendEvent(running.id(), llmCompleted("{\"prompt_tokens\":7,\"completion_tokens\":3}"), T0);
        store.runs().appendEvent(running.id(), llmCompleted("{\"prompt_tokens\":\"many\",\"completion_tokens\":null}"), T0);
        store.runs().appendEvent(running.id(), new NewEvent("llm.started", JSON.createObjectNode().put("total_tokens", 999)), T0);
        store.runs().appendEvent(otherRunning.id(), llmCompleted("{\"prompt_tokens\":5000,\"completion_tokens\":1,\"total_tokens\":5001}"), T0);

        Usage usage = store.runs().usage(dep.projectId());

        assertThat(usage.runsByStatus()).containsEntry(RunStatus.SUCCEEDED, 2L).containsEntry(RunStatus.FAILED, 1L)
                .containsEntry(RunStatus.CANCELED, 1L).containsEntry(RunStatus.RUNNING, 1L).containsEntry(RunStatus.PENDING, 1L);
        assertThat(usage.totalRuns()).isEqualTo(6);
        assertThat(usage.runSeconds()).isEqualTo(5.0);
        assertThat(usage.tokens()).isEqualTo(new TokenUsage(107, 23, 130));

        Usage empty = store.runs().usage(project("idle").id());
        assertThat(empty.totalRuns()).isZero();
        assertThat(empty.runSeconds()).isZero();
        assertThat(empty.tokens()).isEqualTo(TokenUsage.NONE);
    }

    private static NewEvent llmCompleted(String usage) {
        try {
            return new NewEvent(TokenUsage.EVENT_TYPE, JSON.createObjectNode().put("model", "m").set("usage", JSON.readTree(usage)));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    // ---- API keys -------------------------------------------------------------------------------

    @Test
    void apiKeysAreFoundListedAndRevokedOnce() {
        Project project = project("crew");
        Project other = project("other");
        ApiKey admin = apiKey(null, "admin");
        ApiKey ci = apiKey(project.id(), "ci");
        ApiKey deploy = apiKey(project.id(), "deploy");
        ApiKey foreign = apiKey(other.id(), "ci");

        assertThat(store.apiKeys().findBySecretHash(ci.secretHash())).contains(ci);
        assertThat(store.apiKeys().findBySecretHash("00".repeat(32))).isEmpty();
        assertThat(store.apiKeys().findById(admin.id())).contains(admin);
        assertThat(admin.isAdmin()).isTrue();
        assertThat(store.apiKeys().list(project.id())).containsExactlyElementsOf(descendingBy(List.of(ci, deploy), ApiKey::id));
        assertThat(store.apiKeys().list(null)).containsExactlyElementsOf(descendingBy(List.of(admin, ci, deploy, foreign), ApiKey::id));

        Instant at = T0.plusSeconds(100);
        assertThat(store.apiKeys().revoke(ci.id(), at)).isTrue();
        assertThat(store.apiKeys().revoke(ci.id(), at.plusSeconds(1))).isFalse();
        assertThat(store.apiKeys().revoke("key_missing", at)).isFalse();
        ApiKey revoked = store.apiKeys().findBySecretHash(ci.secretHash()).orElseThrow();
        assertThat(revoked.isRevoked()).isTrue();
        assertThat(revoked.revokedAt()).isEqualTo(at);
        assertThat(store.apiKeys().findById(deploy.id()).orElseThrow().isRevoked()).isFalse();
    }

    @Test
    void aDuplicateSecretIsAConflict() {
        ApiKey first = apiKey(null, "admin");
        ApiKey clash = new ApiKey(Ids.next(Ids.API_KEY), null, "again", first.secretHash(), "csk_XXXX", T0, null);

        assertThatThrownBy(() -> store.apiKeys().create(clash))
                .isInstanceOfSatisfying(CrewshipException.class, e -> {
                    assertThat(e.type()).isEqualTo(ProblemType.CONFLICT);
                    assertThat(e.getMessage()).doesNotContain(first.secretHash());
                });
        assertThat(store.apiKeys().findById(clash.id())).isEmpty();
    }

    @Test
    void onlyAnUnrevokedAdminKeyCountsAsAnAdminKey() {
        assertThat(store.apiKeys().hasAdminKey()).isFalse();
        apiKey(project("crew").id(), "project key");
        assertThat(store.apiKeys().hasAdminKey()).isFalse();

        ApiKey admin = apiKey(null, "admin");
        assertThat(store.apiKeys().hasAdminKey()).isTrue();

        store.apiKeys().revoke(admin.id(), T0);
        assertThat(store.apiKeys().hasAdminKey()).isFalse();
    }

    // ---- environment variables ------------------------------------------------------------------

    @Test
    void envVarsAreSetTogetherReplacedListedByNameAndDeleted() {
        Project project = project("crew");
        Project other = project("other");
        store.envVars().putAll(List.of(envVar(project, "OPENAI_API_KEY", "sk-1"), envVar(project, "MODEL", "gpt-4o")));
        store.envVars().putAll(List.of(envVar(other, "MODEL", "other-model")));

        Instant later = T0.plusSeconds(60);
        store.envVars().putAll(List.of(new EnvVar(project.id(), "OPENAI_API_KEY", bytes("sk-2"), later), envVar(project, "A_FIRST", "x")));

        List<EnvVar> vars = store.envVars().list(project.id());
        assertThat(vars).extracting(EnvVar::name).containsExactly("A_FIRST", "MODEL", "OPENAI_API_KEY");
        assertThat(vars.get(2).encryptedValue()).isEqualTo(bytes("sk-2"));
        assertThat(vars.get(2).updatedAt()).isEqualTo(later);
        assertThat(vars.get(1).encryptedValue()).isEqualTo(bytes("gpt-4o"));
        assertThat(vars).allMatch(v -> v.projectId().equals(project.id()));

        assertThat(store.envVars().delete(project.id(), "MODEL")).isTrue();
        assertThat(store.envVars().delete(project.id(), "MODEL")).isFalse();
        assertThat(store.envVars().delete(project.id(), "NEVER_SET")).isFalse();
        assertThat(store.envVars().list(project.id())).extracting(EnvVar::name).containsExactly("A_FIRST", "OPENAI_API_KEY");
        assertThat(store.envVars().list(other.id())).singleElement()
                .satisfies(v -> assertThat(v.encryptedValue()).isEqualTo(bytes("other-model")));

        store.envVars().putAll(List.of());
        assertThat(store.envVars().list(project.id())).hasSize(2);
    }

    @Test
    void envVarsOfAMissingProjectAreNotFoundAndNoneIsStored() {
        Project project = project("crew");
        List<EnvVar> vars = List.of(envVar(project, "GOOD", "1"), new EnvVar("proj_missing", "BAD", bytes("2"), T0));

        assertThatThrownBy(() -> store.envVars().putAll(vars))
                .isInstanceOfSatisfying(CrewshipException.class, e -> assertThat(e.type()).isEqualTo(ProblemType.NOT_FOUND));
        assertThat(store.envVars().list(project.id())).isEmpty();
    }

    // ---- threads --------------------------------------------------------------------------------

    @Test
    void aThreadIsCreatedIdleAndFoundAndListedByDeploymentStatusAndMetadata() {
        Project project = project("crew");
        Deployment dep = readyDeployment(project, T0);
        Deployment other = readyDeployment(project, T0);
        CrewThread alice = thread(dep, values("topic", "ai"), Map.of("user", "alice", "tier", "gold"));
        CrewThread bob = thread(dep, values(), Map.of("user", "bob"));
        CrewThread elsewhere = thread(other, values(), Map.of("user", "alice"));

        assertThat(store.threads().findById(alice.id())).contains(alice);
        assertThat(alice.status()).isEqualTo(ThreadStatus.IDLE);
        assertThat(alice.activeRunId()).isNull();
        assertThat(alice.checkpointId()).isNull();
        assertThat(alice.values()).isEqualTo(values("topic", "ai"));
        assertThat(threadIds(new ThreadQuery(project.id(), null, null, null))).isEqualTo(descending(List.of(elsewhere.id(), bob.id(), alice.id())));
        assertThat(threadIds(new ThreadQuery(null, dep.id(), null, null))).isEqualTo(descending(List.of(bob.id(), alice.id())));
        assertThat(threadIds(new ThreadQuery(null, null, null, Map.of("user", "alice")))).isEqualTo(descending(List.of(elsewhere.id(), alice.id())));
        assertThat(threadIds(new ThreadQuery(null, dep.id(), null, Map.of("user", "alice", "tier", "gold")))).containsExactly(alice.id());
        assertThat(threadIds(new ThreadQuery(null, null, null, Map.of("user", "carol")))).isEmpty();
        assertThat(threadIds(new ThreadQuery(null, null, ThreadStatus.BUSY, null))).isEmpty();
        assertThat(threadIds(new ThreadQuery(null, null, null, Map.of("us\"er'", "x")))).as("keys are data, not SQL").isEmpty();

        threadRun(bob);
        assertThat(threadIds(new ThreadQuery(null, null, ThreadStatus.BUSY, null))).containsExactly(bob.id());
        assertThat(threadIds(new ThreadQuery(null, null, ThreadStatus.IDLE, null))).isEqualTo(descending(List.of(elsewhere.id(), alice.id())));
        assertThat(collectPages(page -> store.threads().list(new ThreadQuery(project.id(), null, null, null), page), 2, CrewThread::id))
                .extracting(CrewThread::id).isEqualTo(descending(List.of(elsewhere.id(), bob.id(), alice.id())));
    }

    @Test
    void aThreadOfAMissingDeploymentIsNotFound() {
        Project project = project("crew");
        CrewThread orphan = new CrewThread(Ids.next(Ids.THREAD), project.id(), "dep_missing", ThreadStatus.IDLE, values(), values(),
                null, null, T0, T0);
        assertThatThrownBy(() -> store.threads().create(orphan))
                .isInstanceOfSatisfying(CrewshipException.class, e -> assertThat(e.type()).isEqualTo(ProblemType.NOT_FOUND));
        assertThat(store.threads().findById(orphan.id())).isEmpty();
    }

    @Test
    void aRunClaimsAnIdleThreadAndASecondRunIsRefusedNamingTheFirstAndWritesNothing() {
        Deployment dep = readyDeployment(project("crew"), T0);
        CrewThread thread = thread(dep, values(), Map.of());

        Run first = threadRun(thread);
        CrewThread busy = store.threads().findById(thread.id()).orElseThrow();
        assertThat(busy.status()).isEqualTo(ThreadStatus.BUSY);
        assertThat(busy.activeRunId()).isEqualTo(first.id());
        assertThat(store.runs().findById(first.id())).contains(first);
        assertThat(first.threadId()).isEqualTo(thread.id());

        Run second = newThreadRun(thread, T0.plusSeconds(1));
        assertThatThrownBy(() -> store.threads().createRun(second, false))
                .isInstanceOfSatisfying(ThreadBusyException.class, e -> {
                    assertThat(e.type()).isEqualTo(ProblemType.CONFLICT);
                    assertThat(e.activeRunId()).isEqualTo(first.id());
                    assertThat(e.getMessage()).contains(first.id());
                    assertThat(e.extensions()).containsEntry("active_run_id", first.id());
                });
        assertThat(store.runs().findById(second.id())).isEmpty();
        assertThat(store.threads().findById(thread.id())).contains(busy);
    }

    @Test
    void aRunOfAMissingThreadIsNotFoundAndNotStored() {
        Deployment dep = readyDeployment(project("crew"), T0);
        CrewThread ghost = new CrewThread("thr_missing", dep.projectId(), dep.id(), ThreadStatus.IDLE, values(), values(), null, null, T0, T0);
        Run run = newThreadRun(ghost, T0);
        assertThatThrownBy(() -> store.threads().createRun(run, true))
                .isInstanceOfSatisfying(CrewshipException.class, e -> assertThat(e.type()).isEqualTo(ProblemType.NOT_FOUND));
        assertThat(store.runs().findById(run.id())).isEmpty();
    }

    @Test
    void ofManyConcurrentRunsOnAnIdleThreadExactlyOneIsAcceptedEveryTime() throws Exception {
        Deployment dep = readyDeployment(project("crew"), T0);
        CrewThread thread = thread(dep, values(), Map.of());
        for (int round = 0; round < 5; round++) {
            Instant at = T0.plusSeconds(round);
            List<Object> outcomes = concurrently(16, worker -> {
                try {
                    return store.threads().createRun(newThreadRun(thread, at), false);
                } catch (ThreadBusyException e) {
                    return e;
                }
            });
            List<Run> accepted = outcomes.stream().filter(Run.class::isInstance).map(Run.class::cast).toList();
            assertThat(accepted).as("round %d", round).hasSize(1);
            String winner = accepted.get(0).id();
            assertThat(outcomes.stream().filter(ThreadBusyException.class::isInstance).map(ThreadBusyException.class::cast))
                    .hasSize(15).allSatisfy(e -> assertThat(e.activeRunId()).isEqualTo(winner));
            assertThat(store.runs().list(new RunQuery(null, null, thread.id(), RunStatus.PENDING), PageRequest.first(100)).data())
                    .extracting(Run::id).containsExactly(winner);
            assertThat(store.threads().findById(thread.id()).orElseThrow().activeRunId()).isEqualTo(winner);
            assertThat(store.runs().finish(winner, canceledAt(at))).isPresent();
            assertThat(store.threads().findById(thread.id()).orElseThrow().status()).isEqualTo(ThreadStatus.IDLE);
        }
    }

    @Test
    void twoStoresOnOneDatabaseLikeTwoServerProcessesStillAcceptOneRunPerThread() throws Exception {
        Deployment dep = readyDeployment(project("crew"), T0);
        CrewThread thread = thread(dep, values(), Map.of());
        try (Store other = openSameDatabase()) {
            for (int round = 0; round < 3; round++) {
                Instant at = T0.plusSeconds(round);
                List<Object> outcomes = concurrently(12, worker -> {
                    Store mine = worker % 2 == 0 ? store : other;
                    try {
                        return mine.threads().createRun(newThreadRun(thread, at), false);
                    } catch (ThreadBusyException e) {
                        return e;
                    }
                });
                List<Run> accepted = outcomes.stream().filter(Run.class::isInstance).map(Run.class::cast).toList();
                assertThat(accepted).as("round %d: %s", round, outcomes).hasSize(1);
                assertThat(outcomes).filteredOn(ThreadBusyException.class::isInstance).hasSize(11);
                assertThat(other.runs().finish(accepted.get(0).id(), canceledAt(at))).isPresent();
            }
        }
    }

    @Test
    void aRunEnqueuedWhileTheActiveRunFinishesIsNeverLeftBehindAnIdleThread() throws Exception {
        Deployment dep = readyDeployment(project("crew"), T0);
        for (int round = 0; round < 30; round++) {
            CrewThread thread = thread(dep, values(), Map.of());
            Run active = threadRun(thread);
            Instant at = T0.plusSeconds(round);
            List<Object> outcomes = concurrently(2, worker -> worker == 0
                    ? store.runs().finish(active.id(), canceledAt(at)).orElseThrow()
                    : store.threads().createRun(newThreadRun(thread, at), true));
            Run queued = (Run) outcomes.get(1);
            CrewThread after = store.threads().findById(thread.id()).orElseThrow();
            assertThat(after.activeRunId()).as("round %d: the queued run holds the thread", round).isEqualTo(queued.id());
            assertThat(after.status()).isEqualTo(ThreadStatus.BUSY);
            store.runs().finish(queued.id(), canceledAt(at)).orElseThrow();
        }
    }

    @Test
    void aSucceededRunCommitsValuesCheckpointAndRunCompletedTogether() {
        Deployment dep = readyDeployment(project("crew"), T0);
        CrewThread thread = thread(dep, values("turns", "0"), Map.of());

        Run first = claimed(threadRun(thread));
        Instant at1 = T0.plusSeconds(5);
        Run done = store.runs().finish(first.id(), succeededWith(values("turns", "1"), at1)).orElseThrow();
        assertThat(done.status()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(store.runs().events(first.id(), 0, 10)).extracting(Event::type).endsWith(EventTypes.RUN_COMPLETED);
        CrewThread after1 = store.threads().findById(thread.id()).orElseThrow();
        assertThat(after1.status()).isEqualTo(ThreadStatus.IDLE);
        assertThat(after1.activeRunId()).isNull();
        assertThat(after1.values()).isEqualTo(values("turns", "1"));
        assertThat(after1.updatedAt()).isEqualTo(at1);
        Checkpoint c1 = store.threads().checkpoint(thread.id(), after1.checkpointId()).orElseThrow();
        assertThat(c1.runId()).isEqualTo(first.id());
        assertThat(c1.parentId()).isNull();
        assertThat(c1.values()).isEqualTo(values("turns", "1"));
        assertThat(c1.createdAt()).isEqualTo(at1);

        Run second = claimed(threadRun(thread));
        store.runs().finish(second.id(), succeededWith(values("turns", "2"), T0.plusSeconds(6))).orElseThrow();
        Run third = claimed(threadRun(thread));
        store.runs().finish(third.id(), succeeded(T0.plusSeconds(7))).orElseThrow();

        CrewThread after3 = store.threads().findById(thread.id()).orElseThrow();
        assertThat(after3.values()).as("no new values: kept").isEqualTo(values("turns", "2"));
        List<Checkpoint> history = store.threads().history(thread.id(), PageRequest.first(10)).data();
        assertThat(history).extracting(Checkpoint::runId).containsExactly(third.id(), second.id(), first.id());
        assertThat(history.get(0).id()).isEqualTo(after3.checkpointId());
        assertThat(history.get(0).parentId()).isEqualTo(history.get(1).id());
        assertThat(history.get(1).parentId()).isEqualTo(c1.id());
        assertThat(collectPages(page -> store.threads().history(thread.id(), page), 1, Checkpoint::id)).isEqualTo(history);
        assertThat(store.threads().checkpoint("thr_other", c1.id())).as("a checkpoint is found only in its thread").isEmpty();
    }

    @Test
    void failedAndCanceledRunsLeaveValuesAndHistoryUnchanged() {
        Deployment dep = readyDeployment(project("crew"), T0);
        CrewThread thread = thread(dep, values("kept", "yes"), Map.of());
        Run ok = claimed(threadRun(thread));
        store.runs().finish(ok.id(), succeededWith(values("kept", "still"), T0.plusSeconds(2))).orElseThrow();
        CrewThread before = store.threads().findById(thread.id()).orElseThrow();

        Run failing = claimed(threadRun(thread));
        store.runs().finish(failing.id(), new RunCompletion(RunStatus.FAILED, null, RunError.of("ValueError", "boom"), List.of(),
                List.of(new NewEvent(EventTypes.RUN_FAILED, JSON.createObjectNode())), T0.plusSeconds(3))).orElseThrow();
        assertThat(store.threads().findById(thread.id()).orElseThrow())
                .satisfies(t -> assertIdleWith(t, before));

        Run canceledPending = threadRun(thread);
        store.runs().finish(canceledPending.id(), canceledAt(T0.plusSeconds(4))).orElseThrow();
        Run canceledRunning = claimed(threadRun(thread));
        store.runs().finish(canceledRunning.id(), canceledAt(T0.plusSeconds(5))).orElseThrow();

        CrewThread after = store.threads().findById(thread.id()).orElseThrow();
        assertIdleWith(after, before);
        assertThat(store.threads().history(thread.id(), PageRequest.first(10)).data()).extracting(Checkpoint::runId).containsExactly(ok.id());
    }

    @Test
    void rejectedValuesLeaveTheThreadInErrorWithItsValuesAndTheNextRunMayStart() {
        Deployment dep = readyDeployment(project("crew"), T0);
        CrewThread thread = thread(dep, values("a", "1"), Map.of());
        Run run = claimed(threadRun(thread));
        RunError error = RunError.of("ThreadValuesTooLarge", "too big");
        store.runs().finish(run.id(), new RunCompletion(RunStatus.FAILED, null, error, List.of(),
                List.of(new NewEvent(EventTypes.RUN_FAILED, JSON.createObjectNode())), T0.plusSeconds(2), null, true)).orElseThrow();

        CrewThread after = store.threads().findById(thread.id()).orElseThrow();
        assertThat(after.status()).isEqualTo(ThreadStatus.ERROR);
        assertThat(after.values()).isEqualTo(values("a", "1"));
        assertThat(after.checkpointId()).isNull();

        Run next = claimed(threadRun(thread));
        store.runs().finish(next.id(), succeededWith(values("a", "2"), T0.plusSeconds(3))).orElseThrow();
        assertThat(store.threads().findById(thread.id()).orElseThrow().status()).isEqualTo(ThreadStatus.IDLE);
    }

    @Test
    void queuedRunsWaitForTheActiveRunAndRunOneAtATimeInOrder() {
        Deployment dep = readyDeployment(project("crew"), T0);
        CrewThread thread = thread(dep, values(), Map.of());
        Run first = threadRun(thread);
        Run second = store.threads().createRun(newThreadRun(thread, T0.plusSeconds(1)), true);
        Run third = store.threads().createRun(newThreadRun(thread, T0.plusSeconds(2)), true);
        Run stateless = pendingRun(dep, T0.plusSeconds(3));

        assertThat(store.runs().claimPending("node-1", 10, T0.plusSeconds(4))).extracting(Run::id)
                .as("queued runs are not claimed").containsExactly(first.id(), stateless.id());

        store.runs().finish(third.id(), canceledAt(T0.plusSeconds(5))).orElseThrow();
        assertThat(store.threads().findById(thread.id()).orElseThrow().activeRunId()).as("canceling a queued run").isEqualTo(first.id());

        store.runs().finish(first.id(), succeededWith(values("n", "1"), T0.plusSeconds(6))).orElseThrow();
        CrewThread handedOver = store.threads().findById(thread.id()).orElseThrow();
        assertThat(handedOver.status()).isEqualTo(ThreadStatus.BUSY);
        assertThat(handedOver.activeRunId()).isEqualTo(second.id());
        assertThat(handedOver.values()).isEqualTo(values("n", "1"));
        assertThatThrownBy(() -> store.threads().createRun(newThreadRun(thread, T0.plusSeconds(7)), false))
                .isInstanceOf(ThreadBusyException.class);

        assertThat(store.runs().claimPending("node-1", 10, T0.plusSeconds(8))).extracting(Run::id).containsExactly(second.id());
        store.runs().finish(second.id(), succeededWith(values("n", "2"), T0.plusSeconds(9))).orElseThrow();
        CrewThread idle = store.threads().findById(thread.id()).orElseThrow();
        assertThat(idle.status()).isEqualTo(ThreadStatus.IDLE);
        assertThat(idle.values()).isEqualTo(values("n", "2"));
    }

    @Test
    void aBusyThreadIsNotDeletedAnIdleOneIsWithItsCheckpoints() {
        Deployment dep = readyDeployment(project("crew"), T0);
        CrewThread thread = thread(dep, values(), Map.of());
        Run run = claimed(threadRun(thread));

        assertThatThrownBy(() -> store.threads().delete(thread.id()))
                .isInstanceOfSatisfying(ThreadBusyException.class, e -> assertThat(e.activeRunId()).isEqualTo(run.id()));
        assertThat(store.threads().findById(thread.id())).isPresent();

        store.runs().finish(run.id(), succeededWith(values("x", "1"), T0.plusSeconds(2))).orElseThrow();
        String checkpoint = store.threads().findById(thread.id()).orElseThrow().checkpointId();
        store.threads().delete(thread.id());
        assertThat(store.threads().findById(thread.id())).isEmpty();
        assertThat(store.threads().checkpoint(thread.id(), checkpoint)).isEmpty();
        assertThat(store.runs().findById(run.id())).as("runs stay as records").isPresent();
        assertThatThrownBy(() -> store.threads().delete(thread.id()))
                .isInstanceOfSatisfying(CrewshipException.class, e -> assertThat(e.type()).isEqualTo(ProblemType.NOT_FOUND));
    }

    @Test
    void aForkStartsFromTheCheckpointsValuesAndLeavesTheOriginalAlone() {
        Deployment dep = readyDeployment(project("crew"), T0);
        CrewThread original = thread(dep, values(), Map.of("user", "alice"));
        Run r1 = claimed(threadRun(original));
        store.runs().finish(r1.id(), succeededWith(values("step", "1"), T0.plusSeconds(2))).orElseThrow();
        Checkpoint first = store.threads().history(original.id(), PageRequest.first(1)).data().get(0);
        Run r2 = claimed(threadRun(original));
        store.runs().finish(r2.id(), succeededWith(values("step", "2"), T0.plusSeconds(3))).orElseThrow();
        CrewThread originalBefore = store.threads().findById(original.id()).orElseThrow();

        CrewThread fork = store.threads().fork(new CrewThread(Ids.next(Ids.THREAD), dep.projectId(), dep.id(), ThreadStatus.IDLE,
                values(), values(), null, null, T0.plusSeconds(4), T0.plusSeconds(4)), first, Ids.next(Ids.CHECKPOINT));

        assertThat(store.threads().findById(fork.id())).contains(fork);
        assertThat(fork.values()).isEqualTo(first.values());
        List<Checkpoint> forkHistory = store.threads().history(fork.id(), PageRequest.first(10)).data();
        assertThat(forkHistory).hasSize(1);
        assertThat(forkHistory.get(0).id()).isEqualTo(fork.checkpointId());
        assertThat(forkHistory.get(0).parentId()).isEqualTo(first.id());
        assertThat(forkHistory.get(0).runId()).isNull();
        assertThat(forkHistory.get(0).values()).isEqualTo(first.values());
        assertThat(store.threads().findById(original.id())).contains(originalBefore);
        assertThat(store.threads().history(original.id(), PageRequest.first(10)).data()).hasSize(2);
    }

    @Test
    void aProjectWithAPendingOrRunningRunOrABuildingDeploymentIsNotDeleted() {
        // The refusal is the store's own, not only the service's check before it: a run created between
        // that check and the delete was acknowledged (202) and must not vanish (reliability/races.py).
        Project busy = project("busy");
        Deployment dep = readyDeployment(busy, T0);
        Run pending = pendingRun(dep, T0);
        assertThat(store.projects().delete(busy.id())).isFalse();
        assertThat(store.runs().findById(pending.id())).contains(pending);

        Run running = claimed(pending);
        assertThat(store.projects().delete(busy.id())).isFalse();
        assertThat(store.runs().findById(running.id())).isPresent();

        store.runs().finish(running.id(), succeeded(T0.plusSeconds(2))).orElseThrow();
        Deployment building = deployment(busy, T0.plusSeconds(3));
        assertThat(store.projects().delete(busy.id())).isFalse();
        assertThat(store.deployments().findById(building.id())).isPresent();
        assertThat(store.projects().findById(busy.id())).isPresent();

        store.deployments().markFailed(building.id(), "no such package", T0.plusSeconds(4));
        assertThat(store.projects().delete(busy.id())).isTrue();
        assertThat(store.projects().findById(busy.id())).isEmpty();
        assertThat(store.runs().findById(running.id())).isEmpty();
    }

    @Test
    void deletingAProjectDeletesItsThreads() {
        Project doomed = project("doomed");
        Deployment dep = readyDeployment(doomed, T0);
        CrewThread thread = thread(dep, values(), Map.of());
        Run run = claimed(threadRun(thread));
        store.runs().finish(run.id(), succeededWith(values("a", "b"), T0.plusSeconds(2))).orElseThrow();

        assertThat(store.projects().delete(doomed.id())).isTrue();

        assertThat(store.threads().findById(thread.id())).isEmpty();
        assertThat(store.threads().history(thread.id(), PageRequest.first(10)).data()).isEmpty();
    }

    private CrewThread thread(Deployment dep, ObjectNode values, Map<String, String> metadata) {
        ObjectNode meta = JSON.createObjectNode();
        metadata.forEach(meta::put);
        return store.threads().create(new CrewThread(Ids.next(Ids.THREAD), dep.projectId(), dep.id(), ThreadStatus.IDLE, values, meta,
                null, null, T0, T0));
    }

    private static Run newThreadRun(CrewThread thread, Instant createdAt) {
        return new Run(Ids.next(Ids.RUN), thread.projectId(), thread.deploymentId(), thread.id(), RunStatus.PENDING,
                JSON.createObjectNode().put("message", "hi"), null, null, null, null, createdAt, null, null);
    }

    private Run threadRun(CrewThread thread) {
        return store.threads().createRun(newThreadRun(thread, T0), false);
    }

    /** Claims {@code run}, which must be the only claimable run. */
    private Run claimed(Run run) {
        List<Run> claimed = store.runs().claimPending("node-1", 10, T0.plusSeconds(1));
        assertThat(claimed).extracting(Run::id).containsExactly(run.id());
        return claimed.get(0);
    }

    private static RunCompletion succeededWith(ObjectNode values, Instant at) {
        return new RunCompletion(RunStatus.SUCCEEDED, JSON.createObjectNode().put("raw", "done"), null, List.of(),
                List.of(new NewEvent(EventTypes.RUN_COMPLETED, JSON.createObjectNode().put("duration_ms", 1))), at, values, false);
    }

    private static RunCompletion canceledAt(Instant at) {
        return new RunCompletion(RunStatus.CANCELED, null, null, List.of(), List.of(new NewEvent(EventTypes.RUN_CANCELED, JSON.createObjectNode())), at);
    }

    private static ObjectNode values(String... pairs) {
        ObjectNode node = JSON.createObjectNode();
        for (int i = 0; i < pairs.length; i += 2) {
            node.put(pairs[i], pairs[i + 1]);
        }
        return node;
    }

    private static void assertIdleWith(CrewThread thread, CrewThread before) {
        assertThat(thread.status()).isEqualTo(ThreadStatus.IDLE);
        assertThat(thread.activeRunId()).isNull();
        assertThat(thread.values()).isEqualTo(before.values());
        assertThat(thread.checkpointId()).isEqualTo(before.checkpointId());
    }

    private List<String> threadIds(ThreadQuery query) {
        return store.threads().list(query, PageRequest.first(PageRequest.MAX_LIMIT)).data().stream().map(CrewThread::id).toList();
    }

    // ---- helpers --------------------------------------------------------------------------------

    protected Project project(String name) {
        return store.projects().create(new Project(Ids.next(Ids.PROJECT), name, null, T0));
    }

    protected static DeploymentConfig config() {
        return new DeploymentConfig("crewai", "main:crew", "3.11", List.of(), DeploymentConfig.DEFAULT_TIMEOUT,
                DeploymentConfig.DEFAULT_MEMORY_MB, DeploymentConfig.DEFAULT_MAX_PROCESSES, DeploymentConfig.DEFAULT_CPU_TIME, false);
    }

    protected Deployment deployment(Project project, Instant createdAt) {
        return store.deployments().create(new Deployment(Ids.next(Ids.DEPLOYMENT), project.id(), DeploymentStatus.BUILDING, config(),
                "5e".repeat(32), null, null, createdAt, null));
    }

    protected Deployment readyDeployment(Project project, Instant createdAt) {
        Deployment dep = deployment(project, createdAt);
        assertThat(store.deployments().markReady(dep.id(), "env-" + dep.id(), createdAt.plusSeconds(1))).isTrue();
        return store.deployments().findById(dep.id()).orElseThrow();
    }

    protected static Run newRun(Deployment dep, Instant createdAt, String idempotencyKey) {
        return new Run(Ids.next(Ids.RUN), dep.projectId(), dep.id(), null, RunStatus.PENDING, JSON.createObjectNode().put("topic", "x"),
                null, null, idempotencyKey, null, createdAt, null, null);
    }

    protected Run pendingRun(Deployment dep, Instant createdAt) {
        return store.runs().create(newRun(dep, createdAt, null));
    }

    /** A run claimed by {@code node-1}: running since T0 + 1 s, with its {@code run.started} event (seq 1). */
    protected Run runningRun(Deployment dep) {
        // Created before every other run of a test, so that claiming one run claims this one.
        Run run = pendingRun(dep, T0.minus(Duration.ofDays(1)));
        List<Run> claimed = store.runs().claimPending("node-1", 1, T0.plusSeconds(1));
        assertThat(claimed).extracting(Run::id).containsExactly(run.id());
        return claimed.get(0);
    }

    /** A run that succeeded with one artifact (or none when {@code artifactName} is null). */
    protected Run finishedRun(Deployment dep, String artifactName) {
        Run run = runningRun(dep);
        Instant at = T0.plusSeconds(3);
        List<Artifact> artifacts = artifactName == null ? List.of()
                : List.of(new Artifact(run.id(), artifactName, 10, "text/markdown", "ef".repeat(32), at));
        List<NewEvent> events = new ArrayList<>();
        for (Artifact a : artifacts) {
            events.add(new NewEvent(EventTypes.ARTIFACT, JSON.createObjectNode().put("name", a.name()).put("size", a.size())));
        }
        events.add(new NewEvent(EventTypes.RUN_COMPLETED, JSON.createObjectNode().put("duration_ms", 2000)));
        return store.runs().finish(run.id(), new RunCompletion(RunStatus.SUCCEEDED, JSON.createObjectNode(), null, artifacts, events, at))
                .orElseThrow();
    }

    private void finishAfter(Deployment dep, RunStatus status, Duration ranFor) {
        Run run = runningRun(dep);
        String terminal = status == RunStatus.SUCCEEDED ? EventTypes.RUN_COMPLETED : EventTypes.RUN_FAILED;
        store.runs().finish(run.id(), new RunCompletion(status, null, null, List.of(),
                List.of(new NewEvent(terminal, JSON.createObjectNode())), run.startedAt().plus(ranFor))).orElseThrow();
    }

    protected static RunCompletion succeeded(Instant at) {
        return new RunCompletion(RunStatus.SUCCEEDED, JSON.createObjectNode().put("raw", "done"), null, List.of(),
                List.of(new NewEvent(EventTypes.RUN_COMPLETED, JSON.createObjectNode().put("duration_ms", 1))), at);
    }

    protected static NewEvent log(String message) {
        return new NewEvent(EventTypes.LOG, JSON.createObjectNode().put("message", message).put("stream", "stdout"));
    }

    protected ApiKey apiKey(String projectId, String name) {
        String secret = Ids.secret(40);
        return store.apiKeys().create(new ApiKey(Ids.next(Ids.API_KEY), projectId, name, sha256Hex(secret), "csk_" + secret.substring(0, 4),
                T0, null));
    }

    protected static EnvVar envVar(Project project, String name, String value) {
        return new EnvVar(project.id(), name, bytes(value), T0);
    }

    private static byte[] bytes(String value) {
        return value.getBytes(StandardCharsets.UTF_8);
    }

    private static String sha256Hex(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes(text)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private List<String> listIds(RunQuery query) {
        return store.runs().list(query, PageRequest.first(PageRequest.MAX_LIMIT)).data().stream().map(Run::id).toList();
    }

    /** Follows {@code nextCursor} from the first page to the last, checking each page's paging fields. */
    private static <T> List<T> collectPages(Function<PageRequest, Page<T>> list, int limit, Function<T, String> idOf) {
        List<T> all = new ArrayList<>();
        String cursor = null;
        for (int pages = 0; pages < 1000; pages++) {
            Page<T> page = list.apply(new PageRequest(limit, cursor));
            assertThat(page.data().size()).isLessThanOrEqualTo(limit);
            all.addAll(page.data());
            if (!page.hasMore()) {
                assertThat(page.nextCursor()).isNull();
                return all;
            }
            assertThat(page.data()).hasSize(limit);
            assertThat(page.nextCursor()).isEqualTo(idOf.apply(page.data().getLast()));
            cursor = page.nextCursor();
        }
        throw new AssertionError("paging did not end");
    }

    private static List<String> descending(List<String> ids) {
        List<String> sorted = new ArrayList<>(ids);
        sorted.sort(Collections.reverseOrder());
        return sorted;
    }

    private static <T> List<T> descendingBy(List<T> items, Function<T, String> idOf) {
        return items.stream().sorted(Comparator.comparing(idOf).reversed()).toList();
    }

    /** Runs {@code task} on {@code threads} threads released at the same moment; returns each worker's result in worker order. */
    protected static <T> List<T> concurrently(int threads, Worker<T> task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch ready = new CountDownLatch(threads);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                int worker = i;
                Callable<T> call = () -> {
                    ready.countDown();
                    go.await();
                    return task.run(worker);
                };
                futures.add(pool.submit(call));
            }
            ready.await();
            go.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> f : futures) {
                results.add(f.get(60, TimeUnit.SECONDS));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    @FunctionalInterface
    protected interface Worker<T> {
        T run(int worker) throws Exception;
    }

}

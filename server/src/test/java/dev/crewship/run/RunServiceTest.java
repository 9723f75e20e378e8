package dev.crewship.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.crewship.auth.Principal;
import dev.crewship.common.Ids;
import dev.crewship.common.Page;
import dev.crewship.common.PageRequest;
import dev.crewship.deployment.Deployment;
import dev.crewship.deployment.DeploymentStatus;
import dev.crewship.error.CrewshipException;
import dev.crewship.error.ProblemType;
import dev.crewship.project.Project;
import dev.crewship.usage.Usage;
import dev.crewship.usage.UsageService;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The service's rules on a real store; the dispatcher is not started, so created runs stay pending. */
class RunServiceTest {
    private static final Principal ADMIN = new Principal("key_admin", null);

    private final RunsFixture fixture = new RunsFixture();
    private final RunDispatcher dispatcher = fixture.dispatcher(
            new ScriptedExecutor((request, sink, killed) -> ExecutionResult.succeeded(null, null)), 1);
    private final RunService service = new RunService(fixture.store, dispatcher, fixture.clock, 1000);
    private final Principal projectKey = new Principal("key_p", fixture.project.id());
    private final Project other = fixture.store.projects().create(new Project(Ids.next(Ids.PROJECT), "other-proj", null, fixture.clock.instant()));
    private final Deployment otherDeployment = fixture.readyDeployment(other, java.time.Duration.ofMinutes(1));
    private final Principal otherKey = new Principal("key_o", other.id());

    @AfterEach
    void tearDown() {
        dispatcher.close();
        fixture.close();
    }

    private static JsonNode input(Map<String, Object> values) {
        return RunsFixture.JSON.valueToTree(values);
    }

    private static void assertProblem(ThrowingCallable call, ProblemType type) {
        assertThatThrownBy(call).isInstanceOfSatisfying(CrewshipException.class, e -> assertThat(e.type()).isEqualTo(type));
    }

    private Run create(Principal principal, Map<String, Object> values) {
        return service.create(principal, new NewRun(fixture.deployment.id(), null, input(values)), null).run();
    }

    @Test
    void createsAPendingRunOfADeploymentOrOfAProjectsCurrentDeployment() {
        RunCreation byId = service.create(projectKey, new NewRun(fixture.deployment.id(), null, input(Map.of("topic", "AI"))), null);
        RunCreation byProject = service.create(projectKey, new NewRun(null, fixture.project.name(), null), null);

        assertThat(byId.created()).isTrue();
        assertThat(byId.run().status()).isEqualTo(RunStatus.PENDING);
        assertThat(byId.run().id()).startsWith("run_");
        assertThat(byId.run().input().get("topic").asText()).isEqualTo("AI");
        assertThat(byProject.run().deploymentId()).isEqualTo(fixture.deployment.id());
        assertThat(byProject.run().input()).isEqualTo(JsonNodeFactory.instance.objectNode());
        assertThat(service.get(projectKey, byId.run().id())).isEqualTo(fixture.run(byId.run().id()));
        assertThat(service.projectName(byId.run().projectId())).isEqualTo(fixture.project.name());
    }

    @Test
    void badRequestsAreRejectedAndCreateNothing() {
        String dep = fixture.deployment.id();
        assertProblem(() -> service.create(ADMIN, new NewRun(dep, fixture.project.name(), null), null), ProblemType.INVALID_REQUEST);
        assertProblem(() -> service.create(ADMIN, new NewRun(null, null, null), null), ProblemType.INVALID_REQUEST);
        assertProblem(() -> service.create(ADMIN, new NewRun(dep, null, JsonNodeFactory.instance.textNode("x")), null), ProblemType.INVALID_REQUEST);
        assertProblem(() -> service.create(ADMIN, new NewRun(dep, null, JsonNodeFactory.instance.arrayNode()), null), ProblemType.INVALID_REQUEST);
        assertProblem(() -> service.create(ADMIN, new NewRun(dep, null, input(Map.of("big", "x".repeat(1000)))), null), ProblemType.PAYLOAD_TOO_LARGE);
        assertProblem(() -> service.create(ADMIN, new NewRun(dep, null, null), ""), ProblemType.INVALID_REQUEST);
        assertProblem(() -> service.create(ADMIN, new NewRun(dep, null, null), "k".repeat(256)), ProblemType.INVALID_REQUEST);
        assertProblem(() -> service.create(ADMIN, new NewRun("dep_missing", null, null), null), ProblemType.NOT_FOUND);
        assertProblem(() -> service.create(ADMIN, new NewRun(null, "no-such-project", null), null), ProblemType.NOT_FOUND);
        assertThat(service.list(ADMIN, null, null, null, PageRequest.first(100)).data()).isEmpty();
    }

    @Test
    void anotherProjectsResourcesLookMissing() {
        Run mine = create(projectKey, Map.of());
        assertProblem(() -> service.create(otherKey, new NewRun(fixture.deployment.id(), null, null), null), ProblemType.NOT_FOUND);
        assertProblem(() -> service.create(otherKey, new NewRun(null, fixture.project.name(), null), null), ProblemType.NOT_FOUND);
        assertProblem(() -> service.get(otherKey, mine.id()), ProblemType.NOT_FOUND);
        assertProblem(() -> service.cancel(otherKey, mine.id()), ProblemType.NOT_FOUND);
        assertProblem(() -> service.list(otherKey, fixture.project.name(), null, null, PageRequest.first(10)), ProblemType.NOT_FOUND);
        assertThat(service.list(otherKey, null, null, null, PageRequest.first(10)).data()).isEmpty();
        assertThat(service.list(otherKey, null, fixture.deployment.id(), null, PageRequest.first(10)).data()).isEmpty();
        assertThat(fixture.run(mine.id()).status()).isEqualTo(RunStatus.PENDING);
    }

    @Test
    void aDeploymentThatIsNotReadyCannotRun() {
        Deployment building = fixture.store.deployments().create(new Deployment(Ids.next(Ids.DEPLOYMENT), fixture.project.id(),
                DeploymentStatus.BUILDING, fixture.deployment.config(), "1".repeat(64), null, null, fixture.clock.instant(), null));
        Project empty = fixture.store.projects().create(new Project(Ids.next(Ids.PROJECT), "empty-proj", null, fixture.clock.instant()));

        assertProblem(() -> service.create(ADMIN, new NewRun(building.id(), null, null), null), ProblemType.DEPLOYMENT_NOT_READY);
        assertProblem(() -> service.create(ADMIN, new NewRun(null, empty.name(), null), null), ProblemType.DEPLOYMENT_NOT_READY);
    }

    @Test
    void anIdempotencyKeyReturnsTheOriginalRunForTheSameRequestOnly() {
        NewRun request = new NewRun(fixture.deployment.id(), null, input(Map.of("a", 1)));
        RunCreation first = service.create(projectKey, request, "key-1");
        RunCreation repeat = service.create(projectKey, new NewRun(fixture.deployment.id(), null, input(Map.of("a", 1))), "key-1");
        RunCreation viaProject = service.create(projectKey, new NewRun(null, fixture.project.name(), input(Map.of("a", 1))), "key-1");

        assertThat(first.created()).isTrue();
        assertThat(repeat.created()).isFalse();
        assertThat(repeat.run().id()).isEqualTo(first.run().id());
        assertThat(viaProject.run().id()).isEqualTo(first.run().id());
        assertProblem(() -> service.create(projectKey, new NewRun(fixture.deployment.id(), null, input(Map.of("a", 2))), "key-1"),
                ProblemType.CONFLICT);
        Deployment second = fixture.readyDeployment(fixture.project, java.time.Duration.ofMinutes(1));
        assertProblem(() -> service.create(projectKey, new NewRun(second.id(), null, input(Map.of("a", 1))), "key-1"), ProblemType.CONFLICT);

        RunCreation otherProject = service.create(otherKey, new NewRun(otherDeployment.id(), null, input(Map.of("a", 1))), "key-1");
        assertThat(otherProject.created()).isTrue();
        assertThat(service.list(ADMIN, null, null, null, PageRequest.first(100)).data()).hasSize(2);
    }

    @Test
    void concurrentRequestsWithOneIdempotencyKeyCreateOneRun() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Callable<RunCreation>> calls = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                calls.add(() -> service.create(projectKey, new NewRun(fixture.deployment.id(), null, input(Map.of("same", true))), "once"));
            }
            Set<String> ids = new HashSet<>();
            int created = 0;
            for (Future<RunCreation> result : pool.invokeAll(calls)) {
                ids.add(result.get().run().id());
                created += result.get().created() ? 1 : 0;
            }
            assertThat(ids).hasSize(1);
            assertThat(created).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
        assertThat(service.list(ADMIN, null, null, null, PageRequest.first(100)).data()).hasSize(1);
    }

    @Test
    void listsNewestFirstWithCursorPagingAndFilters() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            ids.add(create(projectKey, Map.of("i", i)).id());
        }
        service.create(otherKey, new NewRun(otherDeployment.id(), null, null), null);
        // Ids sort like creation time (to the millisecond; runs created within one are ordered by their random tail).
        List<String> newestFirst = ids.stream().sorted(java.util.Comparator.reverseOrder()).toList();

        List<String> seen = new ArrayList<>();
        Page<Run> page = service.list(projectKey, null, null, null, new PageRequest(10, null));
        seen.addAll(page.data().stream().map(Run::id).toList());
        while (page.hasMore()) {
            page = service.list(projectKey, null, null, null, new PageRequest(10, page.nextCursor()));
            seen.addAll(page.data().stream().map(Run::id).toList());
        }
        assertThat(seen).containsExactlyElementsOf(newestFirst);
        assertThat(page.nextCursor()).isNull();

        service.cancel(projectKey, ids.get(3));
        assertThat(service.list(ADMIN, fixture.project.name(), null, "canceled", PageRequest.first(10)).data())
                .extracting(Run::id).containsExactly(ids.get(3));
        assertThat(service.list(ADMIN, null, null, "pending", PageRequest.first(100)).data()).hasSize(25);
        assertThat(service.list(ADMIN, null, fixture.deployment.id(), null, PageRequest.first(100)).data()).hasSize(25);
        assertProblem(() -> service.list(ADMIN, null, null, "done", PageRequest.first(10)), ProblemType.INVALID_REQUEST);
        assertProblem(() -> service.list(ADMIN, null, null, "PENDING", PageRequest.first(10)), ProblemType.INVALID_REQUEST);
    }

    @Test
    void cancelEndsAPendingRunAndRefusesAFinishedOne() {
        Run run = create(projectKey, Map.of());
        Run canceled = service.cancel(projectKey, run.id());
        assertThat(canceled.status()).isEqualTo(RunStatus.CANCELED);
        assertProblem(() -> service.cancel(projectKey, run.id()), ProblemType.CONFLICT);
    }

    @Test
    void usageCountsRunsByStatus() {
        create(projectKey, Map.of());
        create(projectKey, Map.of());
        service.cancel(projectKey, create(projectKey, Map.of()).id());
        UsageService usage = new UsageService(fixture.store);

        Usage mine = usage.usage(projectKey, fixture.project.name());

        assertThat(mine.runsByStatus()).containsEntry(RunStatus.PENDING, 2L).containsEntry(RunStatus.CANCELED, 1L);
        assertThat(mine.totalRuns()).isEqualTo(3);
        assertProblem(() -> usage.usage(otherKey, fixture.project.name()), ProblemType.NOT_FOUND);
    }
}

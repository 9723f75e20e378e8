package dev.crewship.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.crewship.auth.Principal;
import dev.crewship.auth.VisibleResources;
import dev.crewship.common.Ids;
import dev.crewship.common.Page;
import dev.crewship.common.PageRequest;
import dev.crewship.deployment.Deployment;
import dev.crewship.deployment.DeploymentStatus;
import dev.crewship.error.CrewshipException;
import dev.crewship.error.ProblemType;
import dev.crewship.project.Project;
import dev.crewship.store.Store;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Stateless runs as the API offers them: create (with idempotency), read, list, cancel.
 * Every call is authorized with the caller's {@link Principal}: another project's run or
 * deployment answers exactly like a missing one (404).
 */
public final class RunService {
    /** Longest accepted {@code Idempotency-Key} header. */
    public static final int MAX_IDEMPOTENCY_KEY_LENGTH = 255;

    /** Default limit of a run's {@code input} (serialized JSON), the same as the JSON body limit. */
    public static final long DEFAULT_MAX_INPUT_BYTES = 1024 * 1024;

    private static final String STATUSES = Arrays.stream(RunStatus.values()).map(RunStatus::wire).collect(Collectors.joining(", "));

    private final Store store;
    private final VisibleResources visible;
    private final RunDispatcher dispatcher;
    private final Clock clock;
    private final long maxInputBytes;
    /** Project names never change and ids are never reused, so a name found once stays right. */
    private final Map<String, String> projectNames = new ConcurrentHashMap<>();

    public RunService(Store store, RunDispatcher dispatcher, Clock clock, long maxInputBytes) {
        this.store = store;
        this.visible = new VisibleResources(store);
        this.dispatcher = dispatcher;
        this.clock = clock;
        this.maxInputBytes = maxInputBytes;
    }

    /**
     * Creates a pending run and wakes the dispatcher. With an idempotency key, a repeat of the same
     * request in the same project returns the original run ({@code created == false}); the same key
     * with a different request is a conflict. Concurrent repeats create one run: the store's unique
     * index rejects the second insert, which then returns the first.
     */
    public RunCreation create(Principal principal, NewRun request, String idempotencyKey) {
        if ((request.deploymentId() == null) == (request.project() == null)) {
            throw CrewshipException.invalid("give either deployment_id or project (the project's current deployment), not both");
        }
        if (idempotencyKey != null && (idempotencyKey.isBlank() || idempotencyKey.length() > MAX_IDEMPOTENCY_KEY_LENGTH)) {
            throw CrewshipException.invalid("Idempotency-Key must be 1 to " + MAX_IDEMPOTENCY_KEY_LENGTH + " characters");
        }
        JsonNode input = validInput(request.input());
        Deployment deployment = request.deploymentId() != null
                ? visible.deployment(principal, request.deploymentId())
                : visible.currentDeployment(principal, request.project());
        if (idempotencyKey != null) {
            Optional<RunCreation> repeat = repeatOf(deployment.projectId(), idempotencyKey, request, input);
            if (repeat.isPresent()) {
                return repeat.get();
            }
        }
        if (deployment.status() != DeploymentStatus.READY) {
            throw new CrewshipException(ProblemType.DEPLOYMENT_NOT_READY,
                    "deployment " + deployment.id() + " is " + deployment.status().wire() + ", not ready");
        }
        Run run = new Run(Ids.next(Ids.RUN), deployment.projectId(), deployment.id(), null, RunStatus.PENDING, input,
                null, null, idempotencyKey, null, clock.instant(), null, null);
        Run created;
        try {
            created = store.runs().create(run);
        } catch (RuntimeException e) {
            if (idempotencyKey == null) {
                throw e;
            }
            // A concurrent request with the same key won the unique index: answer with its run.
            return repeatOf(deployment.projectId(), idempotencyKey, request, input).orElseThrow(() -> e);
        }
        dispatcher.signal();
        return new RunCreation(created, true);
    }

    public Run get(Principal principal, String runId) {
        return store.runs().findById(runId)
                .filter(run -> principal.canAccess(run.projectId()))
                .orElseThrow(() -> CrewshipException.notFound("run", runId));
    }

    /**
     * Runs newest first, filtered by project name, deployment and status (each optional). A project
     * key always sees only its own project's runs.
     */
    public Page<Run> list(Principal principal, String project, String deploymentId, String status, PageRequest page) {
        String projectId = project != null ? visible.project(principal, project).id() : principal.projectId();
        RunStatus wanted = status == null ? null : parseStatus(status);
        return store.runs().list(new RunQuery(projectId, deploymentId, null, wanted), page);
    }

    /** Cancels a run (see {@link RunDispatcher#cancel}); a run that has already finished is a conflict. */
    public Run cancel(Principal principal, String runId) {
        Run run = get(principal, runId);
        if (run.status().isTerminal()) {
            throw CrewshipException.conflict("run " + runId + " has already finished as " + run.status().wire());
        }
        return dispatcher.cancel(runId);
    }

    /** The name of a run's project, for rendering ({@code "project":"research-crew"}). */
    public String projectName(String projectId) {
        String known = projectNames.get(projectId);
        if (known != null) {
            return known;
        }
        Optional<Project> project = store.projects().findById(projectId);
        project.ifPresent(p -> projectNames.put(p.id(), p.name()));
        return project.map(Project::name).orElse(null);
    }

    private Optional<RunCreation> repeatOf(String projectId, String idempotencyKey, NewRun request, JsonNode input) {
        return store.runs().findByIdempotencyKey(projectId, idempotencyKey).map(original -> {
            boolean same = original.threadId() == null
                    && original.input().equals(input)
                    && (request.deploymentId() == null || request.deploymentId().equals(original.deploymentId()));
            if (!same) {
                throw CrewshipException.conflict("Idempotency-Key " + idempotencyKey + " was already used for run "
                        + original.id() + " with a different request");
            }
            return new RunCreation(original, false);
        });
    }

    private JsonNode validInput(JsonNode input) {
        if (input == null || input.isNull() || input.isMissingNode()) {
            return JsonNodeFactory.instance.objectNode();
        }
        if (!input.isObject()) {
            throw CrewshipException.invalid("input must be a JSON object");
        }
        long size = input.toString().getBytes(StandardCharsets.UTF_8).length;
        if (size > maxInputBytes) {
            throw CrewshipException.tooLarge("input is " + size + " bytes; at most " + maxInputBytes + " are allowed");
        }
        return input;
    }




    private static RunStatus parseStatus(String status) {
        return Arrays.stream(RunStatus.values())
                .filter(s -> s.wire().equals(status))
                .findFirst()
                .orElseThrow(() -> CrewshipException.invalid("status must be one of " + STATUSES));
    }
}

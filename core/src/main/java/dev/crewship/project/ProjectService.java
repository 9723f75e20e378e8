package dev.crewship.project;

import dev.crewship.auth.Principal;
import dev.crewship.auth.VisibleResources;
import dev.crewship.common.Ids;
import dev.crewship.common.Page;
import dev.crewship.common.PageRequest;
import dev.crewship.deployment.Deployment;
import dev.crewship.deployment.DeploymentFiles;
import dev.crewship.error.CrewshipException;
import dev.crewship.run.RunStatus;
import dev.crewship.store.Store;
import dev.crewship.usage.Usage;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Projects as the API offers them. Creating and deleting are admin calls; a project key sees only
 * its own project, and any other project answers 404 exactly like a missing one.
 */
public final class ProjectService {
    /** Lowercase letters, digits and dashes, 3 to 64 characters, starting with a letter, not ending with a dash. */
    public static final Pattern NAME = Pattern.compile("^[a-z][a-z0-9-]{1,62}[a-z0-9]$");

    private final Store store;
    private final VisibleResources visible;
    private final DeploymentFiles files;
    private final Clock clock;

    public ProjectService(Store store, DeploymentFiles files, Clock clock) {
        this.store = store;
        this.visible = new VisibleResources(store);
        this.files = files;
        this.clock = clock;
    }

    public Project create(Principal principal, String name) {
        principal.requireAdmin();
        if (name == null || !NAME.matcher(name).matches()) {
            throw CrewshipException.invalid("project name " + (name == null ? "is required" : "\"" + name + "\" is invalid")
                    + ": use 3 to 64 lowercase letters, digits and dashes, starting with a letter and not ending with a dash"
                    + " (e.g. \"research-crew\")");
        }
        return store.projects().create(new Project(Ids.next(Ids.PROJECT), name, null, clock.instant()));
    }

    /** All projects for an admin, ordered by name; only its own for a project key. */
    public List<Project> list(Principal principal) {
        if (principal.isAdmin()) {
            return store.projects().list();
        }
        return store.projects().findById(principal.projectId()).map(List::of).orElse(List.of());
    }

    /** The named project if the caller may see it; 404 otherwise. */
    public Project get(Principal principal, String name) {
        return visible.project(principal, name);
    }

    /**
     * Deletes a project with everything it owns: deployments (and their source on disk), runs,
     * events, artifacts index, environment variables and keys. Refused while one of its runs is
     * pending or running or one of its deployments is building, so nothing executes for a project
     * that no longer exists.
     */
    public void delete(Principal principal, String name) {
        principal.requireAdmin();
        Project project = get(principal, name);
        Usage usage = store.runs().usage(project.id());
        long unfinished = usage.runsByStatus().getOrDefault(RunStatus.PENDING, 0L) + usage.runsByStatus().getOrDefault(RunStatus.RUNNING, 0L);
        if (unfinished > 0) {
            throw CrewshipException.conflict("project " + name + " has " + unfinished + " pending or running runs;"
                    + " cancel them or wait until they finish, then delete it");
        }
        List<String> deployments = deploymentIds(project.id());
        boolean building = store.deployments().listBuilding().stream().anyMatch(deployments::contains);
        if (building) {
            throw CrewshipException.conflict("project " + name + " has a deployment that is still building; wait until it is ready or failed");
        }
        if (!store.projects().delete(project.id())) {
            // The checks above passed, but a run or a deployment was created since: the store refused.
            throw CrewshipException.conflict("project " + name + " got a new run or deployment while it was being deleted;"
                    + " cancel its runs or wait until they finish and its deployments are built, then delete it");
        }
        deployments.forEach(files::delete);
    }

    private List<String> deploymentIds(String projectId) {
        List<String> ids = new ArrayList<>();
        PageRequest page = PageRequest.first(PageRequest.MAX_LIMIT);
        while (true) {
            Page<Deployment> batch = store.deployments().list(projectId, page);
            batch.data().stream().map(Deployment::id).forEach(ids::add);
            if (!batch.hasMore()) {
                return ids;
            }
            page = new PageRequest(PageRequest.MAX_LIMIT, batch.nextCursor());
        }
    }
}

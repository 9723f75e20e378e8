package dev.crewship.usage;

import dev.crewship.auth.Principal;
import dev.crewship.error.CrewshipException;
import dev.crewship.project.Project;
import dev.crewship.store.Store;

/** A project's usage: its runs by status and the run time they used. */
public final class UsageService {
    private final Store store;

    public UsageService(Store store) {
        this.store = store;
    }

    /** Usage of the named project; another project's name answers 404 like a missing one. */
    public Usage usage(Principal principal, String projectName) {
        Project project = store.projects().findByName(projectName)
                .filter(p -> principal.canAccess(p.id()))
                .orElseThrow(() -> CrewshipException.notFound("project", projectName));
        return store.runs().usage(project.id());
    }
}

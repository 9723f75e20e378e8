package dev.crewship.usage;

import dev.crewship.auth.Principal;
import dev.crewship.auth.VisibleResources;
import dev.crewship.project.Project;
import dev.crewship.store.Store;

/** A project's usage: its runs by status and the run time they used. */
public final class UsageService {
    private final Store store;
    private final VisibleResources visible;

    public UsageService(Store store) {
        this.store = store;
        this.visible = new VisibleResources(store);
    }

    /** Usage of the named project; another project's name answers 404 like a missing one. */
    public Usage usage(Principal principal, String projectName) {
        Project project = visible.project(principal, projectName);
        return store.runs().usage(project.id());
    }
}

package dev.crewship.auth;

import dev.crewship.deployment.Deployment;
import dev.crewship.error.CrewshipException;
import dev.crewship.error.ProblemType;
import dev.crewship.project.Project;
import dev.crewship.store.Store;

/**
 * Projects and deployments as a caller may see them: another project's answers 404 exactly as a
 * missing one would (docs/api.md, "Authentication"), so no service can leak that it exists.
 */
public final class VisibleResources {
    private final Store store;

    public VisibleResources(Store store) {
        this.store = store;
    }

    /** The named project if the caller may see it; 404 otherwise. */
    public Project project(Principal principal, String name) {
        return store.projects().findByName(name)
                .filter(project -> principal.canAccess(project.id()))
                .orElseThrow(() -> CrewshipException.notFound("project", name));
    }

    /** The deployment if the caller may see it; 404 otherwise. */
    public Deployment deployment(Principal principal, String deploymentId) {
        return store.deployments().findById(deploymentId)
                .filter(deployment -> principal.canAccess(deployment.projectId()))
                .orElseThrow(() -> CrewshipException.notFound("deployment", deploymentId));
    }

    /** The named project's current deployment; 409 {@code deployment-not-ready} when it has none yet. */
    public Deployment currentDeployment(Principal principal, String projectName) {
        Project project = project(principal, projectName);
        if (project.currentDeploymentId() == null) {
            throw new CrewshipException(ProblemType.DEPLOYMENT_NOT_READY,
                    "project " + projectName + " has no ready deployment yet; deploy it first");
        }
        return deployment(principal, project.currentDeploymentId());
    }
}

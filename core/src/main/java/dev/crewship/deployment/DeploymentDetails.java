package dev.crewship.deployment;

/**
 * A deployment with what the API shows alongside it: its project's name, whether it is that
 * project's current deployment, and whether its build reused an existing environment.
 */
public record DeploymentDetails(Deployment deployment, String projectName, boolean current, boolean environmentReused) {
}

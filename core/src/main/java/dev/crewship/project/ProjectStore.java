package dev.crewship.project;

import java.util.List;
import java.util.Optional;

public interface ProjectStore {
    /** Inserts a project; throws a CONFLICT {@code CrewshipException} when the name is taken. */
    Project create(Project project);

    Optional<Project> findById(String id);

    Optional<Project> findByName(String name);

    /** All projects, ordered by name. */
    List<Project> list();

    /**
     * Makes {@code deploymentId} the project's current deployment. Only a {@code ready} deployment of
     * this project may become current; returns false (and changes nothing) otherwise.
     */
    boolean setCurrentDeployment(String projectId, String deploymentId);

    /**
     * Deletes the project and everything it owns (deployments, runs, events, artifacts index, env vars,
     * keys, threads), unless one of its runs is pending or running or one of its deployments is building:
     * then it changes nothing and returns false. The check and the delete are atomic, also against runs
     * and deployments being created at the same time.
     */
    boolean delete(String projectId);
}

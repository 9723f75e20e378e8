package dev.crewship.deployment;

import dev.crewship.common.Page;
import dev.crewship.common.PageRequest;
import java.time.Instant;
import java.util.Optional;

public interface DeploymentStore {
    Deployment create(Deployment deployment);

    Optional<Deployment> findById(String id);

    /** Newest first. */
    Page<Deployment> list(String projectId, PageRequest page);

    /**
     * building → ready, and in the same transaction the project's current deployment unless a newer
     * one (ids sort by creation time) is current already: a client never sees a ready deployment
     * that is not yet current. Returns false (changing nothing) when the deployment was not building.
     */
    boolean markReady(String id, String environmentKey, Instant at);

    /** building → failed with a reason; returns false when the deployment was not building. */
    boolean markFailed(String id, String error, Instant at);

    /** Appends a chunk of build output; the log is kept with the deployment and can be read while it grows. */
    void appendBuildLog(String id, String text);

    /** The build log from character {@code offset} on (empty when nothing new). */
    String buildLog(String id, long offset);

    /** Ids of deployments still {@code building}: after a restart their builds are gone and must be failed. */
    java.util.List<String> listBuilding();
}

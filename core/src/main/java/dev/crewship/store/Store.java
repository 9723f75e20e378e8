package dev.crewship.store;

import dev.crewship.artifact.ArtifactIndex;
import dev.crewship.auth.ApiKeyStore;
import dev.crewship.deployment.DeploymentStore;
import dev.crewship.env.EnvVarStore;
import dev.crewship.project.ProjectStore;
import dev.crewship.run.RunStore;
import dev.crewship.thread.ThreadStore;

/**
 * The persistence port. One adapter per database (embedded SQLite by default, PostgreSQL for
 * several nodes); all of them pass the same contract suite ({@code StoreContract} in core's tests).
 */
public interface Store extends AutoCloseable {
    ProjectStore projects();

    DeploymentStore deployments();

    RunStore runs();

    ThreadStore threads();

    ArtifactIndex artifacts();

    ApiKeyStore apiKeys();

    EnvVarStore envVars();

    @Override
    void close();
}

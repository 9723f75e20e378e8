package dev.crewship.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crewship.common.Ids;
import dev.crewship.deployment.Deployment;
import dev.crewship.deployment.DeploymentConfig;
import dev.crewship.deployment.DeploymentStatus;
import dev.crewship.project.Project;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BuildLogLimitTest {
    private static final Instant T0 = Instant.parse("2025-03-01T10:00:00Z");

    @TempDir
    Path dir;

    @Test
    void aBuildLogStopsAtItsLimitWithOneNotice() {
        try (JdbcStore store = JdbcStore.open("jdbc:sqlite:" + dir.resolve("crewship.db"))) {
            Project project = store.projects().create(new Project(Ids.next(Ids.PROJECT), "crew", null, T0));
            Deployment dep = store.deployments().create(new Deployment(Ids.next(Ids.DEPLOYMENT), project.id(), DeploymentStatus.BUILDING,
                    new DeploymentConfig("crewai", "main:crew", "3.11", List.of(), DeploymentConfig.DEFAULT_TIMEOUT,
                            DeploymentConfig.DEFAULT_MEMORY_MB, DeploymentConfig.DEFAULT_MAX_PROCESSES, DeploymentConfig.DEFAULT_CPU_TIME, false),
                    "00".repeat(32), null, null, T0, null));
            int almostFull = (int) JdbcStore.MAX_BUILD_LOG_CHARS - 4;

            store.deployments().appendBuildLog(dep.id(), "x".repeat(almostFull));
            store.deployments().appendBuildLog(dep.id(), "0123456789");
            store.deployments().appendBuildLog(dep.id(), "dropped");

            String log = store.deployments().buildLog(dep.id(), almostFull - 2);
            assertThat(log).isEqualTo("xx0123" + JdbcDeploymentStore.BUILD_LOG_TRUNCATED);
            assertThat(store.deployments().buildLog(dep.id(), 0))
                    .hasSize((int) JdbcStore.MAX_BUILD_LOG_CHARS + JdbcDeploymentStore.BUILD_LOG_TRUNCATED.length());
        }
    }
}

package dev.crewship.server.http;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.crewship.deployment.Deployment;
import dev.crewship.deployment.DeploymentConfig;
import dev.crewship.deployment.DeploymentDetails;

/** The API's JSON shape of a deployment (docs/api.md, "Deployments"). */
final class DeploymentJson {
    private DeploymentJson() {
    }

    static ObjectNode of(DeploymentDetails details) {
        Deployment deployment = details.deployment();
        DeploymentConfig config = deployment.config();
        ObjectNode node = JsonNodeFactory.instance.objectNode()
                .put("id", deployment.id())
                .put("object", "deployment")
                .put("project", details.projectName())
                .put("status", deployment.status().wire())
                .put("current", details.current())
                .put("entrypoint", config.entrypoint())
                .put("framework", config.framework())
                .put("python", config.python());
        node.putObject("config")
                .put("timeout_seconds", config.timeout().toSeconds())
                .put("memory_mb", config.memoryMb())
                .put("max_processes", config.maxProcesses())
                .put("cpu_seconds", config.cpuTime().toSeconds())
                .put("network", config.network())
                .put("llm_tokens", config.llmTokens());
        return node.put("environment_reused", details.environmentReused())
                .put("source_sha256", deployment.sourceSha256())
                .put("error", deployment.error())
                .put("created_at", ProjectJson.timestamp(deployment.createdAt()))
                .put("ready_at", ProjectJson.timestamp(deployment.readyAt()));
    }
}

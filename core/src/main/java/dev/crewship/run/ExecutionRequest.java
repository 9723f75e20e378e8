package dev.crewship.run;

import com.fasterxml.jackson.databind.JsonNode;
import dev.crewship.deployment.DeploymentConfig;
import java.nio.file.Path;
import java.util.Map;

/**
 * What an executor needs to run one run.
 *
 * @param sourceDir      the deployment's extracted source on this host, mounted read-only at {@code /app}
 * @param environmentDir the deployment's Python environment (a virtualenv) on this host
 * @param artifactsDir   a fresh, empty per-run folder on this host; appears as {@code /app/artifacts}
 * @param values         the thread's current values, or null for a stateless run
 * @param env            the project's environment variables (decrypted); nothing else of the server's
 */
public record ExecutionRequest(
        String runId,
        String deploymentId,
        DeploymentConfig config,
        Path sourceDir,
        Path environmentDir,
        Path artifactsDir,
        JsonNode input,
        JsonNode values,
        Map<String, String> env) {

    public ExecutionRequest {
        env = Map.copyOf(env);
    }
}

package dev.crewship.server.http;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.crewship.run.RunStatus;
import dev.crewship.usage.Usage;
import dev.crewship.usage.UsageService;
import io.javalin.config.RoutesConfig;

/** {@code GET /v1/projects/{name}/usage}: a project's runs by status, the run time and the LLM tokens they used. */
public final class UsageRoutes implements Routes {
    private final UsageService usage;

    public UsageRoutes(UsageService usage) {
        this.usage = usage;
    }

    @Override
    public void register(RoutesConfig routes) {
        routes.get("/v1/projects/{name}/usage", ctx -> {
            String project = ctx.pathParam("name");
            ctx.json(json(project, usage.usage(Authentication.principal(ctx), project)));
        });
    }

    static ObjectNode json(String project, Usage usage) {
        ObjectNode node = JsonNodeFactory.instance.objectNode().put("object", "usage").put("project", project);
        ObjectNode runs = node.putObject("runs");
        for (RunStatus status : RunStatus.values()) {
            runs.put(status.wire(), usage.runsByStatus().getOrDefault(status, 0L));
        }
        runs.put("total", usage.totalRuns());
        node.put("run_seconds", usage.runSeconds());
        node.putObject("tokens")
                .put("prompt_tokens", usage.tokens().promptTokens())
                .put("completion_tokens", usage.tokens().completionTokens())
                .put("total_tokens", usage.tokens().totalTokens());
        return node;
    }
}

package dev.crewship.server.http;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.crewship.auth.ApiKey;
import dev.crewship.auth.ApiKeyService;
import dev.crewship.project.Project;
import dev.crewship.project.ProjectStore;
import io.javalin.config.RoutesConfig;
import io.javalin.http.HttpStatus;

/** {@code /v1/keys}: create (the only answer that shows a secret), list, revoke. */
public final class ApiKeyRoutes implements Routes {
    private final ApiKeyService keys;
    private final ProjectStore projects;
    private final JsonBody body;

    public ApiKeyRoutes(ApiKeyService keys, ProjectStore projects, JsonBody body) {
        this.keys = keys;
        this.projects = projects;
        this.body = body;
    }

    /** {@code project} null (or absent) asks for an admin key. */
    record NewKey(String name, String project) {
    }

    @Override
    public void register(RoutesConfig routes) {
        routes.post("/v1/keys", ctx -> {
            NewKey request = body.read(ctx, NewKey.class);
            ApiKeyService.CreatedKey created = keys.create(Authentication.principal(ctx), request.name(), request.project());
            ctx.status(HttpStatus.CREATED).json(json(created.key()).put("secret", created.secret()));
        });
        routes.get("/v1/keys", ctx -> ctx.json(Paging.json(keys.list(Authentication.principal(ctx)), this::json)));
        routes.delete("/v1/keys/{id}", ctx -> {
            keys.revoke(Authentication.principal(ctx), ctx.pathParam("id"));
            ctx.status(HttpStatus.NO_CONTENT);
        });
    }

    private ObjectNode json(ApiKey key) {
        String projectName = key.projectId() == null ? null : projects.findById(key.projectId()).map(Project::name).orElse(null);
        return JsonNodeFactory.instance.objectNode()
                .put("id", key.id())
                .put("object", "api_key")
                .put("name", key.name())
                .put("project", projectName)
                .put("prefix", key.prefix())
                .put("created_at", ProjectJson.timestamp(key.createdAt()));
    }
}

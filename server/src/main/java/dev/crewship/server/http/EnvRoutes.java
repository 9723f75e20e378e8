package dev.crewship.server.http;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.crewship.env.EnvService;
import dev.crewship.env.EnvVar;
import io.javalin.config.RoutesConfig;
import io.javalin.http.HttpStatus;
import java.util.Map;

/** {@code /v1/projects/{name}/env}: list names, set several at once, unset one. Values are never sent back. */
public final class EnvRoutes implements Routes {
    private final EnvService env;
    private final JsonBody body;

    public EnvRoutes(EnvService env, JsonBody body) {
        this.env = env;
        this.body = body;
    }

    record SetVars(Map<String, String> vars) {
    }

    @Override
    public void register(RoutesConfig routes) {
        routes.get("/v1/projects/{name}/env", ctx ->
                ctx.json(Paging.json(env.list(Authentication.principal(ctx), ctx.pathParam("name")), EnvRoutes::json)));
        routes.patch("/v1/projects/{name}/env", ctx -> {
            SetVars request = body.read(ctx, SetVars.class);
            ctx.json(Paging.json(env.set(Authentication.principal(ctx), ctx.pathParam("name"), request.vars()), EnvRoutes::json));
        });
        routes.delete("/v1/projects/{name}/env/{var}", ctx -> {
            env.unset(Authentication.principal(ctx), ctx.pathParam("name"), ctx.pathParam("var"));
            ctx.status(HttpStatus.NO_CONTENT);
        });
    }

    private static ObjectNode json(EnvVar variable) {
        return JsonNodeFactory.instance.objectNode()
                .put("name", variable.name())
                .put("updated_at", ProjectJson.timestamp(variable.updatedAt()));
    }
}

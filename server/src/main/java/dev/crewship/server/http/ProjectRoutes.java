package dev.crewship.server.http;

import dev.crewship.project.ProjectService;
import io.javalin.config.RoutesConfig;
import io.javalin.http.HttpStatus;

/** {@code /v1/projects}: create, list, get, delete. */
public final class ProjectRoutes implements Routes {
    private final ProjectService projects;
    private final JsonBody body;

    public ProjectRoutes(ProjectService projects, JsonBody body) {
        this.projects = projects;
        this.body = body;
    }

    record NewProject(String name) {
    }

    @Override
    public void register(RoutesConfig routes) {
        routes.post("/v1/projects", ctx -> {
            NewProject request = body.read(ctx, NewProject.class);
            ctx.status(HttpStatus.CREATED).json(ProjectJson.of(projects.create(Authentication.principal(ctx), request.name())));
        });
        routes.get("/v1/projects", ctx -> ctx.json(Paging.json(projects.list(Authentication.principal(ctx)), ProjectJson::of)));
        routes.get("/v1/projects/{name}", ctx ->
                ctx.json(ProjectJson.of(projects.get(Authentication.principal(ctx), ctx.pathParam("name")))));
        routes.delete("/v1/projects/{name}", ctx -> {
            projects.delete(Authentication.principal(ctx), ctx.pathParam("name"));
            ctx.status(HttpStatus.NO_CONTENT);
        });
    }
}

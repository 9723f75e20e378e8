package dev.crewship.server.http;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.crewship.project.Project;
import java.time.Instant;

/** The API's JSON shape of a project (docs/api.md, "Projects"). */
final class ProjectJson {
    private ProjectJson() {
    }

    static ObjectNode of(Project project) {
        return JsonNodeFactory.instance.objectNode()
                .put("id", project.id())
                .put("object", "project")
                .put("name", project.name())
                .put("current_deployment_id", project.currentDeploymentId())
                .put("created_at", timestamp(project.createdAt()));
    }

    /** ISO-8601 in UTC, the form every timestamp of the API has; null stays null. */
    static String timestamp(Instant at) {
        return at == null ? null : at.toString();
    }
}

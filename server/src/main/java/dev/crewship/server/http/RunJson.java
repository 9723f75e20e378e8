package dev.crewship.server.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.crewship.common.Page;
import dev.crewship.run.Run;
import dev.crewship.run.RunError;
import java.time.Duration;
import java.time.Instant;
import java.util.function.UnaryOperator;

/** The API's JSON shape of a run (docs/api.md, "Runs"). */
final class RunJson {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private RunJson() {
    }

    /** @param projectName the name of the run's project ({@code "project":"research-crew"}) */
    static ObjectNode of(Run run, String projectName) {
        ObjectNode node = JSON.objectNode()
                .put("id", run.id())
                .put("object", "run")
                .put("project", projectName)
                .put("deployment_id", run.deploymentId())
                .put("thread_id", run.threadId())
                .put("status", run.status().wire());
        node.set("input", run.input());
        node.set("output", run.output());
        node.set("error", error(run.error()));
        node.put("created_at", timestamp(run.createdAt()))
                .put("started_at", timestamp(run.startedAt()))
                .put("finished_at", timestamp(run.finishedAt()));
        Duration duration = run.duration();
        if (duration == null) {
            node.putNull("duration_ms");
        } else {
            node.put("duration_ms", duration.toMillis());
        }
        return node;
    }

    static ObjectNode page(Page<Run> page, UnaryOperator<String> projectNames) {
        ObjectNode list = JSON.objectNode().put("object", "list");
        ArrayNode data = list.putArray("data");
        page.data().forEach(run -> data.add(of(run, projectNames.apply(run.projectId()))));
        list.put("has_more", page.hasMore()).put("next_cursor", page.nextCursor());
        return list;
    }

    static ObjectNode error(RunError error) {
        if (error == null) {
            return null;
        }
        return JSON.objectNode().put("type", error.type()).put("message", error.message()).put("traceback", error.traceback());
    }

    static String timestamp(Instant at) {
        return at == null ? null : at.toString();
    }
}

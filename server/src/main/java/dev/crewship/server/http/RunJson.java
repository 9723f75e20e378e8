package dev.crewship.server.http;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.crewship.run.Run;
import dev.crewship.run.RunError;
import java.time.Duration;

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
        node.put("created_at", ProjectJson.timestamp(run.createdAt()))
                .put("started_at", ProjectJson.timestamp(run.startedAt()))
                .put("finished_at", ProjectJson.timestamp(run.finishedAt()));
        Duration duration = run.duration();
        if (duration == null) {
            node.putNull("duration_ms");
        } else {
            node.put("duration_ms", duration.toMillis());
        }
        return node;
    }

    static ObjectNode error(RunError error) {
        if (error == null) {
            return null;
        }
        return JSON.objectNode().put("type", error.type()).put("message", error.message()).put("traceback", error.traceback());
    }
}

package dev.crewship.server.http;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.crewship.thread.Checkpoint;
import dev.crewship.thread.CrewThread;

/** The API's JSON shapes of a thread, its state and its checkpoints (docs/api.md, "Threads"). */
final class ThreadJson {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private ThreadJson() {
    }

    /** @param projectName the name of the thread's project ({@code "project":"research-crew"}) */
    static ObjectNode of(CrewThread thread, String projectName) {
        ObjectNode node = JSON.objectNode()
                .put("id", thread.id())
                .put("object", "thread")
                .put("project", projectName)
                .put("deployment_id", thread.deploymentId())
                .put("status", thread.status().wire())
                .put("active_run_id", thread.activeRunId())
                .put("checkpoint_id", thread.checkpointId());
        node.set("values", thread.values());
        node.set("metadata", thread.metadata());
        return node.put("created_at", ProjectJson.timestamp(thread.createdAt()))
                .put("updated_at", ProjectJson.timestamp(thread.updatedAt()));
    }

    static ObjectNode state(CrewThread thread) {
        ObjectNode node = JSON.objectNode()
                .put("object", "thread_state")
                .put("thread_id", thread.id())
                .put("status", thread.status().wire())
                .put("checkpoint_id", thread.checkpointId());
        node.set("values", thread.values());
        return node.put("updated_at", ProjectJson.timestamp(thread.updatedAt()));
    }

    static ObjectNode checkpoint(Checkpoint checkpoint) {
        ObjectNode node = JSON.objectNode()
                .put("id", checkpoint.id())
                .put("object", "checkpoint")
                .put("thread_id", checkpoint.threadId())
                .put("run_id", checkpoint.runId())
                .put("parent_checkpoint_id", checkpoint.parentId());
        node.set("values", checkpoint.values());
        return node.put("created_at", ProjectJson.timestamp(checkpoint.createdAt()));
    }
}

package dev.crewship.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.crewship.artifact.Artifact;
import dev.crewship.event.EventTypes;
import dev.crewship.event.NewEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the {@link RunCompletion} for each way a run ends, with the events docs/api.md promises:
 * one {@code artifact} event per collected file, then {@code run.completed {"duration_ms"}},
 * {@code run.failed {"duration_ms","error":{"type","message"}}} or {@code run.canceled {"duration_ms"}}.
 */
public final class RunCompletions {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private RunCompletions() {
    }

    public static RunCompletion succeeded(Run run, JsonNode output, List<Artifact> artifacts, Instant at) {
        ObjectNode data = JSON.objectNode().put("duration_ms", durationMillis(run, at));
        return new RunCompletion(RunStatus.SUCCEEDED, output, null, artifacts, events(artifacts, EventTypes.RUN_COMPLETED, data), at);
    }

    /** A thread run that succeeded: {@code values} become the thread's values (null keeps them). */
    public static RunCompletion succeeded(Run run, JsonNode output, JsonNode values, List<Artifact> artifacts, Instant at) {
        ObjectNode data = JSON.objectNode().put("duration_ms", durationMillis(run, at));
        return new RunCompletion(RunStatus.SUCCEEDED, output, null, artifacts, events(artifacts, EventTypes.RUN_COMPLETED, data), at,
                values, false);
    }

    /** A thread run whose crew finished but whose new values cannot be saved: it fails, the thread turns {@code error}. */
    public static RunCompletion valuesRejected(Run run, RunError error, List<Artifact> artifacts, Instant at) {
        RunCompletion failed = failed(run, error, artifacts, at);
        return new RunCompletion(failed.status(), null, error, failed.artifacts(), failed.events(), at, null, true);
    }

    public static RunCompletion failed(Run run, RunError error, List<Artifact> artifacts, Instant at) {
        ObjectNode data = JSON.objectNode().put("duration_ms", durationMillis(run, at));
        data.putObject("error").put("type", error.type()).put("message", error.message());
        return new RunCompletion(RunStatus.FAILED, null, error, artifacts, events(artifacts, EventTypes.RUN_FAILED, data), at);
    }

    public static RunCompletion canceled(Run run, List<Artifact> artifacts, Instant at) {
        ObjectNode data = JSON.objectNode().put("duration_ms", durationMillis(run, at));
        return new RunCompletion(RunStatus.CANCELED, null, null, artifacts, events(artifacts, EventTypes.RUN_CANCELED, data), at);
    }

    /** Wall time since the run started; 0 for a run that never started (a canceled pending run). */
    public static long durationMillis(Run run, Instant at) {
        if (run.startedAt() == null) {
            return 0;
        }
        return Math.max(0, Duration.between(run.startedAt(), at).toMillis());
    }

    private static List<NewEvent> events(List<Artifact> artifacts, String terminalType, ObjectNode terminalData) {
        List<NewEvent> events = new ArrayList<>(artifacts.size() + 1);
        for (Artifact artifact : artifacts) {
            events.add(new NewEvent(EventTypes.ARTIFACT, JSON.objectNode().put("name", artifact.name()).put("size", artifact.size())));
        }
        events.add(new NewEvent(terminalType, terminalData));
        return events;
    }
}

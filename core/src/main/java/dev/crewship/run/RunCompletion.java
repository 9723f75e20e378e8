package dev.crewship.run;

import com.fasterxml.jackson.databind.JsonNode;
import dev.crewship.artifact.Artifact;
import dev.crewship.event.NewEvent;
import java.time.Instant;
import java.util.List;

/**
 * Everything that ends a run, written in one transaction: the terminal status, output or error,
 * the collected artifacts, and the events that go with them (one {@code artifact} event per file,
 * then exactly one terminal event: {@code run.completed}, {@code run.failed} or {@code run.canceled}).
 */
public record RunCompletion(
        RunStatus status,
        JsonNode output,
        RunError error,
        List<Artifact> artifacts,
        List<NewEvent> events,
        Instant at) {

    public RunCompletion {
        if (!status.isTerminal()) {
            throw new IllegalArgumentException("a completion needs a terminal status, not " + status);
        }
        artifacts = List.copyOf(artifacts);
        events = List.copyOf(events);
    }
}

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
 *
 * <p>For a run of a thread the same transaction releases the thread (or hands it to the next queued
 * run) and, when the run succeeded, stores {@code values} as the thread's new values with a new
 * checkpoint ({@code values} null: the values stay as they were, still with a checkpoint). A failed
 * or canceled run leaves the values alone; {@code valuesRejected} marks a failure caused by new
 * values that could not be saved, which leaves the thread in status {@code error}.
 */
public record RunCompletion(
        RunStatus status,
        JsonNode output,
        RunError error,
        List<Artifact> artifacts,
        List<NewEvent> events,
        Instant at,
        JsonNode values,
        boolean valuesRejected) {

    public RunCompletion {
        if (!status.isTerminal()) {
            throw new IllegalArgumentException("a completion needs a terminal status, not " + status);
        }
        if (values != null && (status != RunStatus.SUCCEEDED || !values.isObject())) {
            throw new IllegalArgumentException("only a succeeded completion carries new values, and they are a JSON object");
        }
        if (valuesRejected && status != RunStatus.FAILED) {
            throw new IllegalArgumentException("rejected values fail the run");
        }
        artifacts = List.copyOf(artifacts);
        events = List.copyOf(events);
    }

    /** A completion that does not touch a thread's values (any stateless run; a thread run that did not succeed). */
    public RunCompletion(RunStatus status, JsonNode output, RunError error, List<Artifact> artifacts, List<NewEvent> events, Instant at) {
        this(status, output, error, artifacts, events, at, null, false);
    }
}

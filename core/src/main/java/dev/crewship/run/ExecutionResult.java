package dev.crewship.run;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * How a run ended inside its sandbox. {@code output} is the crew's serialized result when it
 * succeeded; {@code values} the thread's new values (null for stateless runs); {@code error} is set
 * for every other outcome.
 */
public record ExecutionResult(Outcome outcome, JsonNode output, JsonNode values, RunError error) {
    public enum Outcome { SUCCEEDED, FAILED, TIMED_OUT, KILLED }

    public static ExecutionResult succeeded(JsonNode output, JsonNode values) {
        return new ExecutionResult(Outcome.SUCCEEDED, output, values, null);
    }

    public static ExecutionResult failed(RunError error) {
        return new ExecutionResult(Outcome.FAILED, null, null, error);
    }
}

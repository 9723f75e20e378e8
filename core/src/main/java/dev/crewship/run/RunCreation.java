package dev.crewship.run;

/** The run a create request resulted in; {@code created} is false when an idempotent repeat returned an earlier run. */
public record RunCreation(Run run, boolean created) {
}

package dev.crewship.run;

/**
 * Runs one run of a deployment in isolation (process + bubblewrap, Docker, Kubernetes).
 *
 * <p>Contract, the same for every executor:
 * <ul>
 *   <li>{@link #execute} blocks the calling (virtual) thread until the crew has ended, streaming the
 *       crew's events to the sink as they happen, in order.</li>
 *   <li>Artifacts: when {@code execute} returns, every file the crew wrote under
 *       {@code /app/artifacts/} is present under {@link ExecutionRequest#artifactsDir()} on this host.
 *       Local executors bind that folder into the sandbox; remote ones must download into it.
 *       The caller collects the folder afterwards, also when the run failed.</li>
 *   <li>{@link #kill} ends a run's whole process tree; {@code execute} then returns {@link ExecutionResult.Outcome#KILLED}.</li>
 *   <li>The crew sees only {@link ExecutionRequest#env()} plus what the runtime needs, never the server's environment.</li>
 * </ul>
 */
public interface Executor {
    ExecutionResult execute(ExecutionRequest request, EventSink sink) throws InterruptedException;

    /** Ends the run if it is executing here; returns false when it is not. Idempotent. */
    boolean kill(String runId);

    /** A one-line description for logs and health ({@code process (bubblewrap 0.8.0)}). */
    String describe();
}

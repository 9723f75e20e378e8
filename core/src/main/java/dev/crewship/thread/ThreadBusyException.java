package dev.crewship.thread;

import dev.crewship.error.CrewshipException;
import dev.crewship.error.ProblemType;
import java.util.Map;

/**
 * The thread is busy: a run of it is pending or running. Answered as 409 {@code conflict} whose
 * problem names that run ({@code active_run_id}).
 */
public final class ThreadBusyException extends CrewshipException {
    private final String activeRunId;

    /** @param advice what the caller can do, ending the detail sentence */
    public ThreadBusyException(String threadId, String activeRunId, String advice) {
        super(ProblemType.CONFLICT, "thread " + threadId + " is busy: run " + activeRunId + " has not finished yet; " + advice,
                Map.of("thread_id", threadId, "active_run_id", activeRunId));
        this.activeRunId = activeRunId;
    }

    public String activeRunId() {
        return activeRunId;
    }
}

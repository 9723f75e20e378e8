package dev.crewship.thread;

import dev.crewship.common.Page;
import dev.crewship.common.PageRequest;
import dev.crewship.run.Run;
import java.util.Optional;

/**
 * Persistence of threads and their checkpoints. What ends a thread's run (new values, a checkpoint,
 * releasing the thread) happens inside {@link dev.crewship.run.RunStore#finish}, in the transaction
 * that writes the run's terminal event.
 */
public interface ThreadStore {
    /** Inserts an {@code idle} thread without checkpoints. */
    CrewThread create(CrewThread thread);

    /**
     * Inserts an {@code idle} thread whose values are those of {@code source} and whose first
     * checkpoint ({@code checkpointId}, no run, parent {@code source}) holds them, in one transaction.
     */
    CrewThread fork(CrewThread thread, Checkpoint source, String checkpointId);

    Optional<CrewThread> findById(String id);

    /** Newest first. */
    Page<CrewThread> list(ThreadQuery query, PageRequest page);

    /**
     * Deletes a thread that is not busy, with its checkpoints (its runs stay, as records).
     *
     * @throws dev.crewship.error.CrewshipException NOT_FOUND for an unknown thread, CONFLICT naming
     *                                              the active run while the thread is busy
     */
    void delete(String id);

    /**
     * Inserts {@code run} (pending, with its {@code threadId}) and makes it the thread's active run
     * in one atomic step: exactly one of any number of concurrent callers, on any number of server
     * processes sharing the database, wins an idle thread. When the thread is busy the run is
     * queued behind the active run if {@code enqueue} (it becomes active when every run before it
     * has finished), else nothing is written.
     *
     * @throws ThreadBusyException   when the thread is busy and {@code enqueue} is false
     * @throws dev.crewship.error.CrewshipException NOT_FOUND for an unknown thread
     */
    Run createRun(Run run, boolean enqueue);

    Optional<Checkpoint> checkpoint(String threadId, String checkpointId);

    /** The thread's checkpoints, newest first. */
    Page<Checkpoint> history(String threadId, PageRequest page);
}

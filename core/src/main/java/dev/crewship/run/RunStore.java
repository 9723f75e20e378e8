package dev.crewship.run;

import dev.crewship.common.Page;
import dev.crewship.common.PageRequest;
import dev.crewship.event.Event;
import dev.crewship.event.NewEvent;
import dev.crewship.usage.Usage;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The single write path for run state. Each state change is one transaction that also appends the
 * matching event, so a run is never {@code succeeded} without its {@code run.completed} event.
 * Event sequence numbers are per run, start at 1 and have no gaps.
 */
public interface RunStore {
    /**
     * Inserts a {@code pending} run. A thread's runs are created by
     * {@link dev.crewship.thread.ThreadStore#createRun}, which also claims the thread; only a run that
     * is its thread's active run is ever claimed.
     */
    Run create(Run run);

    Optional<Run> findById(String id);

    Optional<Run> findByIdempotencyKey(String projectId, String idempotencyKey);

    /** Newest first. */
    Page<Run> list(RunQuery query, PageRequest page);

    /**
     * Claims up to {@code limit} pending runs, oldest first: each becomes {@code running} with
     * {@code owner} and {@code startedAt = at}, and gets its {@code run.started} event, atomically.
     * Safe when several nodes claim at once: a run is claimed by exactly one. A thread's run is
     * claimed only while it is its thread's active run (not while it is queued behind another).
     */
    List<Run> claimPending(String owner, int limit, Instant at);

    /** Appends an event to a run that is not terminal; returns it with its sequence number, or empty when the run is already terminal. */
    default Optional<Event> appendEvent(String runId, NewEvent event, Instant at) {
        return appendEvents(runId, List.of(event), at).stream().findFirst();
    }

    /**
     * Appends events, in order and in one transaction, to a run that is not terminal; returns them with
     * their sequence numbers, or an empty list (storing none) when the run is already terminal.
     */
    List<Event> appendEvents(String runId, List<NewEvent> events, Instant at);

    /**
     * Ends a pending or running run as described (status, output/error, artifacts, events), in one
     * transaction. Returns the finished run, or empty (changing nothing) when it was already terminal.
     * For the active run of a thread the same transaction updates the thread (see {@link RunCompletion}).
     */
    Optional<Run> finish(String runId, RunCompletion completion);

    /** Events with {@code seq > afterSeq}, in order, at most {@code limit}. */
    List<Event> events(String runId, long afterSeq, int limit);

    /** Runs that are pending or running, oldest first (for crash recovery and dispatch). */
    List<Run> listUnfinished();

    /** Runs by status and total run seconds of finished runs, for one project. */
    Usage usage(String projectId);
}

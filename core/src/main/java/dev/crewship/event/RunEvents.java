package dev.crewship.event;

import dev.crewship.auth.Principal;
import dev.crewship.error.CrewshipException;
import dev.crewship.run.RunService;
import dev.crewship.run.RunStore;
import java.util.List;

/** Reading a run's events: a page of stored ones, or a feed that replays and then follows live ones. */
public final class RunEvents {
    public static final int DEFAULT_LIMIT = 1000;
    public static final int MAX_LIMIT = 1000;

    private final RunService runs;
    private final RunStore store;
    private final EventBus bus;

    public RunEvents(RunService runs, RunStore store, EventBus bus) {
        this.runs = runs;
        this.store = store;
        this.bus = bus;
    }

    /** Stored events after {@code afterSeq}, at most {@code limit}, and whether more follow. */
    public record EventPage(List<Event> data, boolean hasMore) {
        public EventPage {
            data = List.copyOf(data);
        }
    }

    public EventPage page(Principal principal, String runId, long afterSeq, int limit) {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw CrewshipException.invalid("limit must be between 1 and " + MAX_LIMIT);
        }
        runs.get(principal, runId); // 404 for an unknown or foreign run
        List<Event> events = store.events(runId, Math.max(0, afterSeq), limit + 1);
        boolean hasMore = events.size() > limit;
        return new EventPage(hasMore ? events.subList(0, limit) : events, hasMore);
    }

    /** Opens a feed of the run's events after {@code afterSeq}; the caller closes it. */
    public RunEventFeed follow(Principal principal, String runId, long afterSeq) {
        runs.get(principal, runId);
        return RunEventFeed.open(store, bus, runId, afterSeq);
    }
}

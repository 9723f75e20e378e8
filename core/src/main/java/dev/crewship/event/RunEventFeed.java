package dev.crewship.event;

import dev.crewship.run.RunStore;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The events of one run in sequence order, without gap or duplicate: first the stored ones after
 * a given sequence number (replay, {@code Last-Event-ID} resume), then live ones as they are
 * published, ending with the terminal event.
 *
 * <p>How replay and live meet: the feed subscribes to the bus <em>before</em> it reads the store,
 * so an event is either already stored when the store is read or published after the
 * subscription exists; events seen twice are dropped by sequence number. Whenever the next
 * sequence number is missing (the subscriber's queue overflowed, or an event was written by
 * something that does not publish here) the feed reads the store from its last sequence number.
 * While nothing arrives the store is also checked every {@link #STORE_CHECK_INTERVAL} as a safety
 * net: by one subscriber of the run per interval, which shares what it finds with the others
 * ({@link EventBus#claimStoreCheck}), so idle subscribers cost no database reads each.
 */
public final class RunEventFeed implements AutoCloseable {
    /** How often an idle feed looks at the store for events that did not come over the bus. */
    public static final Duration STORE_CHECK_INTERVAL = Duration.ofSeconds(5);

    /** Events read from the store at once. */
    static final int READ_BATCH = 500;

    private final RunStore runs;
    private final String runId;
    private final EventBus bus;
    private final EventBus.Subscription subscription;
    private final Duration storeCheckInterval;
    private final Deque<SseEvent> buffer = new ArrayDeque<>();
    private long lastSeq;
    private boolean finished;

    private RunEventFeed(RunStore runs, EventBus bus, String runId, long afterSeq, Duration storeCheckInterval) {
        this.runs = runs;
        this.runId = runId;
        this.lastSeq = afterSeq;
        this.storeCheckInterval = storeCheckInterval;
        this.bus = bus;
        this.subscription = bus.subscribe(runId);
    }

    /** Opens the feed of events with a sequence number above {@code afterSeq} (0 for all). */
    public static RunEventFeed open(RunStore runs, EventBus bus, String runId, long afterSeq) {
        return open(runs, bus, runId, afterSeq, STORE_CHECK_INTERVAL);
    }

    /** As {@link #open(RunStore, EventBus, String, long)}, checking the store every {@code storeCheckInterval} while idle. */
    public static RunEventFeed open(RunStore runs, EventBus bus, String runId, long afterSeq, Duration storeCheckInterval) {
        RunEventFeed feed = new RunEventFeed(runs, bus, runId, Math.max(0, afterSeq), storeCheckInterval);
        try {
            feed.readStore();
        } catch (RuntimeException e) {
            feed.close();
            throw e;
        }
        return feed;
    }

    /**
     * The next event, waiting up to {@code timeout} for one; empty on timeout or once the terminal
     * event has been returned (see {@link #finished()}). A zero timeout takes only what is already
     * there, so a subscriber can write everything waiting before it flushes.
     */
    public Optional<SseEvent> next(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            SseEvent buffered = buffer.pollFirst();
            if (buffered != null) {
                lastSeq = buffered.seq();
                finished = buffered.isTerminal();
                return Optional.of(buffered);
            }
            if (finished) {
                return Optional.empty();
            }
            if (subscription.takeOverflow()) {
                readStore();
                continue;
            }
            SseEvent live = subscription.poll();
            if (live == null) {
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    return Optional.empty();
                }
                live = subscription.poll(Math.min(remaining, storeCheckInterval.toNanos()), TimeUnit.NANOSECONDS);
                if (live == null) {
                    if (bus.claimStoreCheck(runId, storeCheckInterval)) {
                        readStore();
                        if (buffer.isEmpty() && finished) {
                            bus.endedInStore(runId);
                        }
                        bus.share(subscription, buffer);
                    }
                    continue;
                }
            }
            if (live.seq() == lastSeq + 1) {
                buffer.addLast(live);
            } else if (live.seq() > lastSeq + 1) {
                readStore();
            }
            // live.seq() <= lastSeq: already delivered by the replay; dropped.
        }
    }

    /** True once the terminal event has been returned, or when there is nothing after the requested sequence number of an ended run. */
    public boolean finished() {
        return finished;
    }

    /**
     * Reads the events after the last one returned. When there are none and the run had already
     * ended before the read (its terminal event was then stored, as finishing is atomic), nothing
     * will follow: the caller resumed after the terminal event, or the run is gone.
     */
    private void readStore() {
        boolean endedBefore = runs.findById(runId).map(run -> run.status().isTerminal()).orElse(true);
        buffer.clear();
        runs.events(runId, lastSeq, READ_BATCH).forEach(event -> buffer.addLast(SseEvent.of(event)));
        if (buffer.isEmpty() && endedBefore) {
            finished = true;
        }
    }

    @Override
    public void close() {
        subscription.close();
    }
}

package dev.crewship.event;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * In-process publish/subscribe of stored run events, so live subscribers see an event the moment
 * it is written instead of polling the store. The bus is only a fast path: every event is in the
 * store before it is published, and a subscriber that falls behind (its bounded queue is full)
 * is told so and catches up from the store ({@link RunEventFeed} does both).
 *
 * <p>Publishing never blocks: a slow or stuck subscriber cannot hold up a run, nor the other
 * subscribers. Each published event is encoded once ({@link SseEvent}) and the same object is
 * queued for every subscriber, so the cost per subscriber is one queue slot, not a copy.
 */
public final class EventBus {
    /** Events one subscriber may have waiting; beyond this it catches up from the store. */
    public static final int DEFAULT_QUEUE_CAPACITY = 256;

    private final Map<String, Followers> byRun = new ConcurrentHashMap<>();
    private final int queueCapacity;

    public EventBus() {
        this(DEFAULT_QUEUE_CAPACITY);
    }

    public EventBus(int queueCapacity) {
        if (queueCapacity < 1) {
            throw new IllegalArgumentException("queue capacity must be at least 1");
        }
        this.queueCapacity = queueCapacity;
    }

    /** Starts receiving the events of one run published from now on; close the subscription when done. */
    public Subscription subscribe(String runId) {
        Subscription subscription = new Subscription(runId, queueCapacity);
        byRun.compute(runId, (id, followers) -> {
            Followers run = followers == null ? new Followers() : followers;
            run.members.add(subscription);
            return run;
        });
        return subscription;
    }

    /**
     * Whether a subscriber of the run that waited {@code interval} without an event should look in
     * the store for events that did not come over the bus (see {@link RunEventFeed}). At most one
     * subscriber of a run is told yes per interval, and it publishes what it finds, so an idle run
     * with thousands of subscribers costs one store read per interval instead of one per subscriber.
     * Once a check found the run ended, every subscriber is told yes, so each can see that itself.
     */
    public boolean claimStoreCheck(String runId, Duration interval) {
        Followers run = byRun.get(runId);
        if (run == null || run.ended) {
            return true;
        }
        long now = System.nanoTime();
        long due = run.nextStoreCheck.get();
        return now - due >= 0 && run.nextStoreCheck.compareAndSet(due, now + interval.toNanos());
    }

    /** Said by a subscriber whose store check found the run ended with nothing left to deliver. */
    void endedInStore(String runId) {
        Followers run = byRun.get(runId);
        if (run != null) {
            run.ended = true;
        }
    }

    /** Hands a stored event to the current subscribers of its run, encoded once for all of them. */
    public void publish(Event event) {
        Followers run = byRun.get(event.runId());
        if (run != null && !run.members.isEmpty()) {
            SseEvent shared = SseEvent.of(event);
            run.members.forEach(s -> s.offer(shared));
        }
    }

    /** Hands events a subscriber found in the store to the run's other subscribers (they drop what they already have). */
    void share(Subscription finder, Iterable<SseEvent> events) {
        Followers run = byRun.get(finder.runId);
        if (run != null) {
            events.forEach(event -> run.members.forEach(s -> {
                if (s != finder) {
                    s.offer(event);
                }
            }));
        }
    }

    /** Number of open subscriptions over all runs (for metrics and leak tests). */
    public int subscriberCount() {
        return byRun.values().stream().mapToInt(run -> run.members.size()).sum();
    }

    private void unsubscribe(Subscription subscription) {
        byRun.computeIfPresent(subscription.runId, (id, run) -> {
            run.members.remove(subscription);
            return run.members.isEmpty() ? null : run;
        });
    }

    /** The subscribers of one run, and when one of them may next look in the store. */
    private static final class Followers {
        final Set<Subscription> members = ConcurrentHashMap.newKeySet();
        final AtomicLong nextStoreCheck = new AtomicLong(System.nanoTime());
        volatile boolean ended;
    }

    /** One subscriber's view of one run: a bounded queue plus a flag saying events were dropped. */
    public final class Subscription implements AutoCloseable {
        private final String runId;
        private final BlockingQueue<SseEvent> queue;
        private final AtomicBoolean overflowed = new AtomicBoolean();

        private Subscription(String runId, int capacity) {
            this.runId = runId;
            this.queue = new ArrayBlockingQueue<>(capacity);
        }

        private void offer(SseEvent event) {
            if (!queue.offer(event)) {
                overflowed.set(true);
            }
        }

        /** The next published event, or null when none arrives within the timeout. */
        public SseEvent poll(long timeout, TimeUnit unit) throws InterruptedException {
            return queue.poll(timeout, unit);
        }

        /** The next published event if one is waiting, else null at once. */
        public SseEvent poll() {
            return queue.poll();
        }

        /**
         * True once if events were dropped since the last call because the queue was full; the
         * subscriber must then read what it missed from the store.
         */
        public boolean takeOverflow() {
            return overflowed.getAndSet(false);
        }

        @Override
        public void close() {
            unsubscribe(this);
            queue.clear();
        }
    }
}

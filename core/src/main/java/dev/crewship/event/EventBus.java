package dev.crewship.event;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

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

    private final Map<String, Set<Subscription>> byRun = new ConcurrentHashMap<>();
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
        byRun.compute(runId, (id, set) -> {
            Set<Subscription> subscribers = set == null ? ConcurrentHashMap.newKeySet() : set;
            subscribers.add(subscription);
            return subscribers;
        });
        return subscription;
    }

    /** Hands a stored event to the current subscribers of its run, encoded once for all of them. */
    public void publish(Event event) {
        Set<Subscription> subscribers = byRun.get(event.runId());
        if (subscribers != null && !subscribers.isEmpty()) {
            SseEvent shared = SseEvent.of(event);
            subscribers.forEach(s -> s.offer(shared));
        }
    }

    /** Number of open subscriptions over all runs (for metrics and leak tests). */
    public int subscriberCount() {
        return byRun.values().stream().mapToInt(Set::size).sum();
    }

    private void unsubscribe(Subscription subscription) {
        byRun.computeIfPresent(subscription.runId, (id, set) -> {
            set.remove(subscription);
            return set.isEmpty() ? null : set;
        });
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

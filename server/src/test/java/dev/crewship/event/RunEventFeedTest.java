package dev.crewship.event;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.crewship.common.Ids;
import dev.crewship.deployment.Deployment;
import dev.crewship.deployment.DeploymentConfig;
import dev.crewship.deployment.DeploymentStatus;
import dev.crewship.project.Project;
import dev.crewship.run.Run;
import dev.crewship.run.RunCompletions;
import dev.crewship.run.RunStatus;
import dev.crewship.run.RunStore;
import dev.crewship.store.jdbc.JdbcStore;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunEventFeedTest {
    @TempDir
    Path temp;

    private JdbcStore store;
    private RunStore runs;
    private Run run;

    @BeforeEach
    void setUp() {
        store = JdbcStore.open("jdbc:sqlite:" + temp.resolve("feed.db"));
        runs = store.runs();
        Instant now = Instant.now();
        Project project = store.projects().create(new Project(Ids.next(Ids.PROJECT), "feed", null, now));
        DeploymentConfig config = new DeploymentConfig("crewai", "crew:kickoff", "3.11", List.of(), Duration.ofMinutes(1), 1024, 64,
                Duration.ofMinutes(1), false);
        Deployment deployment = store.deployments().create(new Deployment(Ids.next(Ids.DEPLOYMENT), project.id(), DeploymentStatus.BUILDING,
                config, "0".repeat(64), null, null, now, null));
        store.deployments().markReady(deployment.id(), "env", now);
        runs.create(new Run(Ids.next(Ids.RUN), project.id(), deployment.id(), null, RunStatus.PENDING, JsonNodeFactory.instance.objectNode(),
                null, null, null, null, now, null, null));
        run = runs.claimPending("node_test", 1, now).getFirst();
    }

    @AfterEach
    void tearDown() {
        store.close();
    }

    /** What the dispatcher does for each event: store it, then publish it. */
    private void append(EventBus bus, int i) {
        Event stored = runs.appendEvent(run.id(), new NewEvent(EventTypes.LOG, JsonNodeFactory.instance.objectNode().put("message", "line " + i)),
                Instant.now()).orElseThrow();
        bus.publish(stored);
    }

    private void finish(EventBus bus) {
        long last = runs.events(run.id(), 0, 100_000).getLast().seq();
        runs.finish(run.id(), RunCompletions.succeeded(run, null, List.of(), Instant.now())).orElseThrow();
        runs.events(run.id(), last, 100).forEach(bus::publish);
    }

    private static List<Event> drain(RunEventFeed feed) throws InterruptedException {
        List<Event> seen = new ArrayList<>();
        while (!feed.finished()) {
            Optional<SseEvent> next = feed.next(Duration.ofSeconds(20));
            assertThat(next).as("an event within 20 s after " + seen.size()).isPresent();
            seen.add(next.get().event());
        }
        return seen;
    }

    private static void assertSequence(List<Event> events, long from, long to) {
        assertThat(events).extracting(Event::seq).containsExactlyElementsOf(LongStream.rangeClosed(from, to).boxed().toList());
    }

    @Test
    void aSubscriberJoiningMidRunGetsEveryEventOnceInOrderUpToTheTerminalOne() throws Exception {
        EventBus bus = new EventBus();
        Thread writer = Thread.ofVirtual().start(() -> {
            for (int i = 0; i < 300; i++) {
                append(bus, i);
            }
            finish(bus);
        });
        List<Event> seen;
        try (RunEventFeed feed = RunEventFeed.open(runs, bus, run.id(), 0)) {
            seen = drain(feed);
            assertThat(feed.next(Duration.ofMillis(10))).isEmpty();
        }
        writer.join();

        assertSequence(seen, 1, 302);
        assertThat(seen.getFirst().type()).isEqualTo(EventTypes.RUN_STARTED);
        assertThat(seen.getLast().type()).isEqualTo(EventTypes.RUN_COMPLETED);
        assertThat(bus.subscriberCount()).isZero();
    }

    @Test
    void aPublishedEventIsEncodedOnceAndTheSameFrameGoesToEverySubscriber() throws Exception {
        EventBus bus = new EventBus();
        try (RunEventFeed first = RunEventFeed.open(runs, bus, run.id(), 1); RunEventFeed second = RunEventFeed.open(runs, bus, run.id(), 1)) {
            append(bus, 7);
            SseEvent a = first.next(Duration.ofSeconds(5)).orElseThrow();
            SseEvent b = second.next(Duration.ofSeconds(5)).orElseThrow();
            assertThat(a.frame()).isSameAs(b.frame());
            assertThat(new String(a.frame(), java.nio.charset.StandardCharsets.UTF_8))
                    .isEqualTo("id: 2\nevent: log\ndata: {\"message\":\"line 7\"}\n\n");
            assertThat(first.next(Duration.ZERO)).as("nothing else is waiting, and a zero timeout does not wait").isEmpty();
        }
    }

    @Test
    void aSlowSubscriberWhoseQueueOverflowsCatchesUpFromTheStore() throws Exception {
        EventBus bus = new EventBus(2);
        try (RunEventFeed feed = RunEventFeed.open(runs, bus, run.id(), 0)) {
            for (int i = 0; i < 50; i++) {
                append(bus, i);
            }
            finish(bus);
            assertSequence(drain(feed), 1, 52);
        }
    }

    @Test
    void resumesAfterAGivenSequenceNumber() throws Exception {
        EventBus bus = new EventBus();
        for (int i = 0; i < 5; i++) {
            append(bus, i);
        }
        try (RunEventFeed feed = RunEventFeed.open(runs, bus, run.id(), 4)) {
            assertThat(feed.finished()).isFalse();
            append(bus, 5);
            finish(bus);
            assertSequence(drain(feed), 5, 8);
        }
    }

    @Test
    void aFinishedRunIsReplayedAndEnds() throws Exception {
        EventBus bus = new EventBus();
        append(bus, 0);
        finish(bus);
        try (RunEventFeed feed = RunEventFeed.open(runs, bus, run.id(), 0)) {
            assertSequence(drain(feed), 1, 3);
        }
        try (RunEventFeed feed = RunEventFeed.open(runs, bus, run.id(), 3)) {
            assertThat(feed.finished()).as("nothing follows the terminal event").isTrue();
            assertThat(feed.next(Duration.ofSeconds(5))).isEmpty();
        }
    }

    @Test
    void idleSubscribersOfARunShareOneStoreCheckPerIntervalAndAllGetWhatItFinds() throws Exception {
        java.util.concurrent.atomic.AtomicInteger reads = new java.util.concurrent.atomic.AtomicInteger();
        RunStore counting = (RunStore) java.lang.reflect.Proxy.newProxyInstance(RunStore.class.getClassLoader(), new Class<?>[] {RunStore.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("events")) {
                        reads.incrementAndGet();
                    }
                    try {
                        return method.invoke(runs, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        EventBus bus = new EventBus();
        EventBus elsewhere = new EventBus();
        Duration interval = Duration.ofMillis(100);
        List<RunEventFeed> feeds = new ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) {
                RunEventFeed feed = RunEventFeed.open(counting, bus, run.id(), 0, interval);
                feeds.add(feed);
                assertThat(feed.next(Duration.ofSeconds(5)).orElseThrow().seq()).isEqualTo(1);
            }
            List<Thread> waiting = new ArrayList<>();
            List<Long> got = java.util.Collections.synchronizedList(new ArrayList<>());
            int before = reads.get();
            long started = System.nanoTime();
            for (RunEventFeed feed : feeds) {
                waiting.add(Thread.ofVirtual().start(() -> {
                    try {
                        feed.next(Duration.ofSeconds(20)).ifPresent(event -> got.add(event.seq()));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }));
            }
            append(elsewhere, 1); // stored, but published where these feeds do not listen
            for (Thread thread : waiting) {
                thread.join();
            }
            long intervals = (System.nanoTime() - started) / interval.toNanos();

            assertThat(got).hasSize(20).containsOnly(2L);
            assertThat(reads.get() - before).as("store reads in %d intervals by 20 idle subscribers", intervals)
                    .isLessThanOrEqualTo((int) intervals + 2);
        } finally {
            feeds.forEach(RunEventFeed::close);
        }
    }

    @Test
    void eventsThatNeverCameOverTheBusAreFoundInTheStore() throws Exception {
        EventBus bus = new EventBus();
        EventBus elsewhere = new EventBus();
        try (RunEventFeed feed = RunEventFeed.open(runs, bus, run.id(), 0, Duration.ofMillis(100))) {
            assertThat(feed.next(Duration.ofSeconds(1)).orElseThrow().seq()).isEqualTo(1);
            append(elsewhere, 1);
            finish(elsewhere);
            assertSequence(drain(feed), 2, 3);
        }
    }
}

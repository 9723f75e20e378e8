package dev.crewship.executor.process;

import dev.crewship.run.ExecutionRequest;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The warm parents of a {@link ProcessExecutor}: at most one per {@link WarmKey}. A deployment's first
 * run starts cold and starts a parent beside it; later runs fork from the parent once it is ready.
 * Bounded by {@link WarmStarts}: the number of parents, their resident memory together (idle parents
 * are stopped, least recently used first) and an idle timeout. A parent whose import fails is not
 * tried again for {@link #RETRY_AFTER_FAILURE}: the deployment's runs start cold meanwhile, and report
 * the import error themselves.
 */
final class WarmPool implements AutoCloseable {
    static final Duration RETRY_AFTER_FAILURE = Duration.ofMinutes(10);
    static final Duration SWEEP_INTERVAL = Duration.ofSeconds(15);

    private static final Logger log = LoggerFactory.getLogger(WarmPool.class);

    /** Starts the sandbox of a parent; empty when it cannot be started now (no free uid, say). */
    @FunctionalInterface
    interface Starter {
        Optional<WarmParent> start(ExecutionRequest request, WarmKey key) throws IOException, InterruptedException;
    }

    /** Called once a stopped parent's sandbox is gone (or did not go): gives its uid back. */
    @FunctionalInterface
    interface Stopped {
        void stopped(WarmParent parent, boolean gone);
    }

    private final WarmStarts limits;
    private final Starter starter;
    private final Stopped stopped;
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<WarmKey, WarmParent> parents = new HashMap<>();
    private final Map<WarmKey, Long> failedAt = new HashMap<>();
    private final Thread sweeper;
    private volatile boolean closed;

    WarmPool(WarmStarts limits, Starter starter, Stopped stopped) {
        this.limits = limits;
        this.starter = starter;
        this.stopped = stopped;
        this.sweeper = Thread.ofVirtual().name("crewship-warm-sweeper").start(this::sweepLoop);
    }

    /**
     * A ready parent for the run, marked busy until {@link #release}; empty when there is none yet
     * (one is then started, when the limits allow) and the run must start cold.
     */
    Optional<WarmParent> acquire(ExecutionRequest request, Path runsRoot) throws InterruptedException {
        WarmKey key = WarmKey.of(request, runsRoot);
        List<WarmParent> toStop = new ArrayList<>();
        lock.lock();
        try {
            if (closed) {
                return Optional.empty();
            }
            WarmParent parent = parents.get(key);
            if (parent != null) {
                if (parent.isReady()) {
                    parent.runStarted();
                    return Optional.of(parent);
                }
                if (!parent.hasFailed()) {
                    return Optional.empty(); // still importing
                }
                log.warn("warm parent of deployment {} failed: {}; its runs start cold", key.deploymentId(), parent.failure());
                parents.remove(key);
                failedAt.put(key, System.nanoTime());
                toStop.add(parent);
                return Optional.empty();
            }
            Long failed = failedAt.get(key);
            if (failed != null && System.nanoTime() - failed < RETRY_AFTER_FAILURE.toNanos()) {
                return Optional.empty();
            }
            // The same deployment with other variables or limits: its old parent serves nobody any more.
            parents.entrySet().removeIf(entry -> {
                boolean replaced = entry.getKey().deploymentId().equals(key.deploymentId()) && entry.getValue().activeRuns() == 0;
                if (replaced) {
                    toStop.add(entry.getValue());
                }
                return replaced;
            });
            while (parents.size() >= limits.maxParents()) {
                Optional<WarmParent> idlest = idlest();
                if (idlest.isEmpty()) {
                    return Optional.empty(); // every parent is busy: this deployment waits for a slot
                }
                parents.remove(idlest.get().key());
                toStop.add(idlest.get());
            }
            try {
                Optional<WarmParent> started = starter.start(request, key);
                started.ifPresent(p -> parents.put(key, p));
            } catch (IOException e) {
                log.warn("warm parent of deployment {} could not be started: {}; its runs start cold", key.deploymentId(), e.toString());
                failedAt.put(key, System.nanoTime());
            }
            return Optional.empty();
        } finally {
            lock.unlock();
            toStop.forEach(this::stopLater);
        }
    }

    void release(WarmParent parent) {
        parent.runEnded();
    }

    /** Parents alive now (for tests and the description). */
    int size() {
        lock.lock();
        try {
            return parents.size();
        } finally {
            lock.unlock();
        }
    }

    /** Stops idle parents past the idle timeout, failed ones, and idle ones above the memory budget. */
    void sweep() {
        List<WarmParent> toStop = new ArrayList<>();
        lock.lock();
        try {
            parents.values().removeIf(parent -> {
                boolean stop = parent.hasFailed() || parent.idleNanos() > limits.idleTimeout().toNanos();
                if (stop) {
                    toStop.add(parent);
                }
                return stop;
            });
            long resident = parents.values().stream().mapToLong(WarmParent::residentBytes).sum();
            while (resident > limits.maxResidentBytes()) {
                Optional<WarmParent> idlest = idlest();
                if (idlest.isEmpty()) {
                    break;
                }
                resident -= idlest.get().residentBytes();
                parents.remove(idlest.get().key());
                toStop.add(idlest.get());
                log.info("warm parent of deployment {} stopped: warm parents use more than {} MiB together",
                        idlest.get().key().deploymentId(), limits.maxResidentBytes() / (1024 * 1024));
            }
        } finally {
            lock.unlock();
        }
        toStop.forEach(this::stopLater);
    }

    /** The idle parent unused for longest; parents with runs are never chosen. */
    private Optional<WarmParent> idlest() {
        return parents.values().stream()
                .filter(parent -> parent.activeRuns() == 0)
                .max(Comparator.comparingLong(WarmParent::idleNanos));
    }

    private void stopLater(WarmParent parent) {
        Thread.ofVirtual().name("crewship-warm-stop").start(() -> stop(parent));
    }

    private void stop(WarmParent parent) {
        parent.close();
        boolean gone;
        try {
            gone = parent.awaitGone(ProcessExecutor.KILL_GRACE);
        } catch (InterruptedException e) {
            gone = false;
            Thread.currentThread().interrupt();
        }
        stopped.stopped(parent, gone);
    }

    private void sweepLoop() {
        while (!closed) {
            try {
                Thread.sleep(SWEEP_INTERVAL);
                sweep();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                log.error("sweeping warm parents failed", e);
            }
        }
    }

    /** Stops every parent (their runs' children die with them) and waits for them. */
    @Override
    public void close() {
        List<WarmParent> all;
        lock.lock();
        try {
            closed = true;
            all = new ArrayList<>(parents.values());
            parents.clear();
        } finally {
            lock.unlock();
        }
        sweeper.interrupt();
        all.forEach(this::stop);
    }
}

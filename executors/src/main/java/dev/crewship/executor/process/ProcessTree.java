package dev.crewship.executor.process;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Ends a process together with everything it started. */
final class ProcessTree {
    private static final Duration POLL = Duration.ofMillis(10);

    private ProcessTree() {
    }

    /**
     * Sends SIGKILL to every descendant of {@code root}, and to {@code root} itself once it had
     * {@code rootGrace} to exit by itself (at once when zero). Returns the processes it signals.
     *
     * <p>A grace for the root matters for bubblewrap: killed together with its child, it might die
     * before reaping that child, which then lingers as a zombie wherever the host's init is slow to
     * reap. Killed alone, the child takes the whole sandbox with it (it is the pid namespace's init)
     * and bubblewrap reaps it and exits. The descendants are listed before anything is killed: once
     * a parent is gone its children are re-parented and cannot be found from {@code root} any more.
     */
    static List<ProcessHandle> kill(ProcessHandle root, Duration rootGrace) {
        List<ProcessHandle> tree = new ArrayList<>(root.descendants().toList());
        tree.forEach(ProcessHandle::destroyForcibly);
        if (rootGrace.isZero()) {
            root.destroyForcibly();
        } else {
            Thread.ofVirtual().name("kill-" + root.pid()).start(() -> {
                try {
                    root.onExit().get(rootGrace.toNanos(), TimeUnit.NANOSECONDS);
                } catch (TimeoutException | ExecutionException | InterruptedException e) {
                    root.destroyForcibly();
                }
            });
        }
        tree.add(root);
        return tree;
    }

    /**
     * Waits until every process has exited; false when one is still alive after {@code grace}.
     * Polls: for processes that are not this JVM's children, {@link ProcessHandle#onExit()} polls too,
     * but only every 300 ms or more. A zombie still counts as alive (it still counts against RLIMIT_NPROC).
     */
    static boolean awaitExit(Collection<ProcessHandle> processes, Duration grace) throws InterruptedException {
        long deadline = System.nanoTime() + grace.toNanos();
        while (processes.stream().anyMatch(ProcessHandle::isAlive)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(POLL);
        }
        return true;
    }
}

package dev.crewship.executor.process;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** Ends a process together with everything it started. */
final class ProcessTree {
    private static final Duration POLL = Duration.ofMillis(10);

    private ProcessTree() {
    }

    /**
     * Sends SIGKILL to {@code root} and every descendant and returns the processes it signalled.
     * The descendants are listed before anything is killed: once a parent is gone its children are
     * re-parented and can no longer be found from {@code root}.
     */
    static List<ProcessHandle> kill(ProcessHandle root) {
        List<ProcessHandle> tree = new ArrayList<>();
        tree.add(root);
        root.descendants().forEach(tree::add);
        tree.forEach(ProcessHandle::destroyForcibly);
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

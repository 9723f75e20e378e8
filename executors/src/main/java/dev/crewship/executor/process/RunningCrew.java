package dev.crewship.executor.process;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The kill handle of one executing run, shared between the thread executing it and whoever calls
 * {@link ProcessExecutor#kill}. A kill may arrive before the process exists (the run is still
 * waiting for a uid); the process is then killed the moment it is attached.
 */
final class RunningCrew {
    private final Duration rootGrace;
    private final ReentrantLock lock = new ReentrantLock();
    private final List<ProcessHandle> signalled = new ArrayList<>();
    private Process process;
    /** For a warm run: asks its warm parent to kill the run's child (and so its whole pid namespace). */
    private Runnable warmKill;
    private boolean killRequested;
    private boolean ended;

    /** {@code rootGrace}: how long the started process may take to exit after its descendants were killed (see {@link ProcessTree#kill}). */
    RunningCrew(Duration rootGrace) {
        this.rootGrace = rootGrace;
    }

    /** Attaches the started process; false when a kill came first (the process is then already killed). */
    boolean attach(Process started) {
        lock.lock();
        try {
            process = started;
            if (killRequested) {
                signalled.addAll(ProcessTree.kill(started.toHandle(), rootGrace));
                return false;
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Attaches a warm run's kill; false when a kill came first (the kill has then been sent already). */
    boolean attachWarm(Runnable kill) {
        lock.lock();
        try {
            warmKill = kill;
            if (killRequested) {
                kill.run();
                return false;
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** The warm attempt is over without the crew having run (it starts cold next). */
    void detachWarm() {
        lock.lock();
        try {
            warmKill = null;
        } finally {
            lock.unlock();
        }
    }

    /** A kill from outside ({@link ProcessExecutor#kill}); false when the run has already ended. */
    boolean requestKill() {
        lock.lock();
        try {
            if (ended) {
                return false;
            }
            killRequested = true;
            if (warmKill != null) {
                warmKill.run();
            } else if (process != null) {
                signalled.addAll(ProcessTree.kill(process.toHandle(), rootGrace));
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Ends the process tree for the executor's own reasons (timeout, a crew that does not exit, interruption). */
    void terminate() {
        lock.lock();
        try {
            if (warmKill != null) {
                warmKill.run();
            } else if (process != null) {
                signalled.addAll(ProcessTree.kill(process.toHandle(), rootGrace));
            }
        } finally {
            lock.unlock();
        }
    }

    /** Marks the run as over; returns whether a kill was requested before that. */
    boolean end() {
        lock.lock();
        try {
            ended = true;
            return killRequested;
        } finally {
            lock.unlock();
        }
    }

    boolean killRequested() {
        lock.lock();
        try {
            return killRequested;
        } finally {
            lock.unlock();
        }
    }

    /** Every process a kill was sent to: the run's uid is reused only when all of them are gone. */
    List<ProcessHandle> signalled() {
        lock.lock();
        try {
            return List.copyOf(signalled);
        } finally {
            lock.unlock();
        }
    }
}

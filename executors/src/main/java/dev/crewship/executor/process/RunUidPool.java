package dev.crewship.executor.process;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Hands out one unprivileged host uid per executing run. A uid of its own makes RLIMIT_NPROC a
 * per-run limit and makes every other run's files unreadable. Released uids go to the back of the
 * queue, so a uid is reused as late as possible. Waiting uses a lock, not a monitor, so a waiting
 * virtual thread does not hold on to its carrier.
 */
final class RunUidPool {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition released = lock.newCondition();
    private final Deque<Integer> free = new ArrayDeque<>();
    private final int first;
    private final int count;

    RunUidPool(int first, int count) {
        this.first = first;
        this.count = count;
        for (int uid = first; uid < first + count; uid++) {
            free.addLast(uid);
        }
    }

    /** A free uid, waiting while every uid is in use. */
    int acquire() throws InterruptedException {
        lock.lock();
        try {
            while (free.isEmpty()) {
                released.await();
            }
            return free.pollFirst();
        } finally {
            lock.unlock();
        }
    }

    /**
     * A free uid now, but only while more than half of the pool stays free for runs; never waits.
     * For warm parents: they must never make runs wait for a uid.
     */
    java.util.OptionalInt tryAcquireSpare() {
        lock.lock();
        try {
            if ((free.size() - 1) * 2 < count) {
                return java.util.OptionalInt.empty();
            }
            return java.util.OptionalInt.of(free.pollFirst());
        } finally {
            lock.unlock();
        }
    }

    void release(int uid) {
        lock.lock();
        try {
            free.addLast(uid);
            released.signal();
        } finally {
            lock.unlock();
        }
    }

    String describe() {
        return first + "-" + (first + count - 1);
    }
}

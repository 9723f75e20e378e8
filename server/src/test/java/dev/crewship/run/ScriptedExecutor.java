package dev.crewship.run;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test double of the executor port: each run does what the test's {@link Script} says, and
 * {@link #kill} releases the run's kill latch like a real kill ends the process. It also counts how
 * many runs execute at once.
 */
final class ScriptedExecutor implements Executor {
    @FunctionalInterface
    interface Script {
        ExecutionResult run(ExecutionRequest request, EventSink sink, CountDownLatch killed) throws Exception;
    }

    private final Script script;
    private final Map<String, CountDownLatch> executing = new ConcurrentHashMap<>();
    private final AtomicInteger concurrent = new AtomicInteger();
    private final AtomicInteger maxConcurrent = new AtomicInteger();
    private final AtomicInteger started = new AtomicInteger();

    ScriptedExecutor(Script script) {
        this.script = script;
    }

    @Override
    public ExecutionResult execute(ExecutionRequest request, EventSink sink) throws InterruptedException {
        CountDownLatch killed = new CountDownLatch(1);
        executing.put(request.runId(), killed);
        started.incrementAndGet();
        maxConcurrent.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
        try {
            return script.run(request, sink, killed);
        } catch (InterruptedException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("the test's script failed", e);
        } finally {
            concurrent.decrementAndGet();
            executing.remove(request.runId());
        }
    }

    @Override
    public boolean kill(String runId) {
        CountDownLatch killed = executing.get(runId);
        if (killed == null) {
            return false;
        }
        killed.countDown();
        return true;
    }

    @Override
    public String describe() {
        return "scripted (tests)";
    }

    int maxConcurrent() {
        return maxConcurrent.get();
    }

    int concurrent() {
        return concurrent.get();
    }

    int started() {
        return started.get();
    }

    boolean isExecuting(String runId) {
        return executing.containsKey(runId);
    }

    static ExecutionResult killedResult() {
        return new ExecutionResult(ExecutionResult.Outcome.KILLED, null, null, RunError.of("Killed", "the run was killed"));
    }
}

package dev.crewship.executor.process;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One warm parent: a sandbox that has imported a deployment's crew once and forks an isolated child
 * per run ({@code crewship_runtime.warm}; docs/runtime-protocol.md, "Warm starts"). This class speaks
 * its control channel: JSON lines on the process's stdin ({@code run}, {@code kill}) and stdout
 * ({@code ready} or {@code failed}, then {@code exited} per run).
 */
final class WarmParent implements AutoCloseable {
    /** How long closing waits for the parent to stop by itself (end of its input) before it is killed. */
    static final Duration CLOSE_GRACE = Duration.ofSeconds(2);

    private static final Logger log = LoggerFactory.getLogger(WarmParent.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_CONTROL_LINE_BYTES = 1024 * 1024;

    /** How a run's child ended: an exit code, or the signal that killed it. */
    record Exit(Integer exitCode, Integer signal) {
        /** As a shell reports it (128 + signal), which is what {@link FailureDiagnosis} reads. */
        int status() {
            return signal != null ? 128 + signal : exitCode;
        }

        static final Exit PARENT_GONE = new Exit(null, 9);
    }

    private final WarmKey key;
    private final Process process;
    private final OptionalInt uid;
    private final OutputStream control;
    private final ReentrantLock writing = new ReentrantLock();
    private final CompletableFuture<Boolean> ready = new CompletableFuture<>();
    private final Map<String, CompletableFuture<Exit>> exits = new ConcurrentHashMap<>();
    private final OutputTail stderr = new OutputTail(20, 1000);
    private final AtomicInteger activeRuns = new AtomicInteger();
    private volatile long lastUsedNanos = System.nanoTime();
    private volatile String failure;
    private volatile double importMillis = -1;

    private WarmParent(WarmKey key, Process process, OptionalInt uid) {
        this.key = key;
        this.process = process;
        this.uid = uid;
        this.control = process.getOutputStream();
        Thread.ofVirtual().name("warm-control-" + key.deploymentId()).start(this::readControl);
        Thread.ofVirtual().name("warm-stderr-" + key.deploymentId()).start(this::readStderr);
        process.onExit().thenRun(this::parentGone);
    }

    static WarmParent started(WarmKey key, Process process, OptionalInt uid) {
        return new WarmParent(key, process, uid);
    }

    WarmKey key() {
        return key;
    }

    OptionalInt uid() {
        return uid;
    }

    /** Completes with true once the crew is imported and children can be forked, false when that failed. */
    CompletableFuture<Boolean> ready() {
        return ready;
    }

    boolean isReady() {
        return ready.getNow(false) && process.isAlive();
    }

    boolean hasFailed() {
        return ready.isDone() && !isReady();
    }

    /** Why the parent could not get ready (its import error, or its stderr), for the server log. */
    String failure() {
        return failure;
    }

    double importMillis() {
        return importMillis;
    }

    /** Forks the child of a run whose folder is {@code dir} (relative to the runs folder); completes when that child has ended. */
    CompletableFuture<Exit> fork(String runId, String dir) throws IOException {
        CompletableFuture<Exit> exit = new CompletableFuture<>();
        if (exits.putIfAbsent(runId, exit) != null) {
            throw new IllegalStateException("run " + runId + " already has a child in this warm parent");
        }
        ObjectNode command = JSON.createObjectNode().put("v", 1).put("kind", "run").put("run_id", runId).put("dir", dir);
        try {
            send(command);
        } catch (IOException e) {
            exits.remove(runId, exit);
            throw e;
        }
        if (!process.isAlive()) {
            exit.complete(Exit.PARENT_GONE);
        }
        return exit;
    }

    /** Kills a run's child and with it every process of the run. */
    void kill(String runId) {
        try {
            send(JSON.createObjectNode().put("v", 1).put("kind", "kill").put("run_id", runId));
        } catch (IOException e) {
            // The parent is gone, and its children with it (they live in its pid namespace).
            log.debug("warm parent of {}: kill of {} not sent: {}", key.deploymentId(), runId, e.toString());
        }
    }

    void runStarted() {
        activeRuns.incrementAndGet();
        lastUsedNanos = System.nanoTime();
    }

    void runEnded() {
        activeRuns.decrementAndGet();
        lastUsedNanos = System.nanoTime();
    }

    int activeRuns() {
        return activeRuns.get();
    }

    long idleNanos() {
        return activeRuns.get() > 0 ? 0 : System.nanoTime() - lastUsedNanos;
    }

    /**
     * Resident memory of the parent's whole sandbox (bubblewrap, the parent, its spare and any running
     * children), from /proc. Each process counts its proportional share (Pss) of the pages it shares with
     * others: a child forked from the parent shares most of its pages with it, and its full resident
     * size would count them once more per child.
     */
    long residentBytes() {
        long total = residentBytes(process.pid());
        for (ProcessHandle descendant : process.descendants().toList()) {
            total += residentBytes(descendant.pid());
        }
        return total;
    }

    private static long residentBytes(long pid) {
        Path proc = Path.of("/proc", Long.toString(pid));
        long pss = kibibytes(proc.resolve("smaps_rollup"), "Pss:");
        return pss >= 0 ? pss : Math.max(0, kibibytes(proc.resolve("status"), "VmRSS:"));
    }

    /** The value of the line starting with {@code name} (in kB) in bytes; -1 when the file or line cannot be read. */
    private static long kibibytes(Path file, String name) {
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith(name)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // The process ended meanwhile, or its smaps are not ours to read.
        }
        return -1;
    }

    /** Handles every process of the parent's sandbox, for {@link ProcessTree}. */
    ProcessHandle handle() {
        return process.toHandle();
    }

    /** Stops the parent: the end of its input makes it kill its children and exit; it is killed if it does not. */
    @Override
    public void close() {
        try {
            control.close();
        } catch (IOException e) {
            // Already gone.
        }
        try {
            if (!process.waitFor(CLOSE_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                ProcessTree.kill(process.toHandle(), Duration.ofSeconds(2));
            }
        } catch (InterruptedException e) {
            ProcessTree.kill(process.toHandle(), Duration.ZERO);
            Thread.currentThread().interrupt();
        }
    }

    /** Waits (bounded) until the whole sandbox is gone; true when it is. */
    boolean awaitGone(Duration timeout) throws InterruptedException {
        try {
            process.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return ProcessTree.awaitExit(process.descendants().toList(), timeout);
        } catch (TimeoutException e) {
            return false;
        } catch (java.util.concurrent.ExecutionException e) {
            return true;
        }
    }

    private void send(JsonNode command) throws IOException {
        byte[] line = (JSON.writeValueAsString(command) + "\n").getBytes(StandardCharsets.UTF_8);
        writing.lock();
        try {
            control.write(line);
            control.flush();
        } finally {
            writing.unlock();
        }
    }

    private void readControl() {
        try (InputStream in = process.getInputStream()) {
            BoundedLineReader reader = new BoundedLineReader(in, MAX_CONTROL_LINE_BYTES);
            BoundedLineReader.Line line;
            while ((line = reader.next()) != null) {
                if (!line.truncated() && !line.text().isBlank()) {
                    handle(JSON.readTree(line.text()));
                }
            }
        } catch (IOException | RuntimeException e) {
            log.warn("warm parent of {}: control channel broke: {}", key.deploymentId(), e.toString());
        } finally {
            parentGone();
        }
    }

    private void handle(JsonNode message) {
        switch (message.path("kind").asText()) {
            case "ready" -> {
                importMillis = message.path("import_ms").asDouble(-1);
                log.info("warm parent of deployment {} ready: the crew was imported in {} ms ({}; {})",
                        key.deploymentId(), Math.round(importMillis), message.path("prebuild").asText(""),
                        message.path("preload").asText("nothing preloaded"));
                ready.complete(true);
            }
            case "failed" -> {
                JsonNode error = message.path("error");
                failure = error.path("type").asText("?") + ": " + error.path("message").asText("");
                ready.complete(false);
            }
            case "exited" -> {
                CompletableFuture<Exit> exit = exits.remove(message.path("run_id").asText());
                if (exit != null) {
                    exit.complete(new Exit(message.path("exit_code").isIntegralNumber() ? message.path("exit_code").asInt() : null,
                            message.path("signal").isIntegralNumber() ? message.path("signal").asInt() : null));
                }
            }
            default -> log.warn("warm parent of {}: unknown control message {}", key.deploymentId(), message.path("kind").asText());
        }
    }

    /** The parent ended: it is no longer ready, and every child it had ended with it (its pid namespace is gone). */
    private void parentGone() {
        if (failure == null && !ready.getNow(false)) {
            failure = "the warm parent exited before it was ready; its last output: " + stderr.summary(500);
        }
        ready.complete(false);
        exits.forEach((runId, exit) -> exit.complete(Exit.PARENT_GONE));
        exits.clear();
    }

    private void readStderr() {
        try (InputStream err = process.getErrorStream()) {
            BoundedLineReader reader = new BoundedLineReader(err, 64 * 1024);
            BoundedLineReader.Line line;
            while ((line = reader.next()) != null) {
                stderr.add(line.text());
                log.debug("warm parent of {}: {}", key.deploymentId(), line.text());
            }
        } catch (IOException e) {
            // Gone.
        }
    }
}

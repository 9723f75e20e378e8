package dev.crewship.executor.process;

import dev.crewship.deployment.DeploymentConfig;
import dev.crewship.run.RunError;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns the ways a crew can die into messages a user can act on: which limit of crewship.toml was
 * hit, or why the sandbox could not start.
 */
final class FailureDiagnosis {
    static final String SANDBOX_ERROR = "SandboxError";
    static final String CREW_CRASHED = "CrewCrashed";
    static final String MEMORY_ERROR = "MemoryError";
    static final String PROCESS_LIMIT = "ProcessLimitExceeded";
    static final String CPU_LIMIT = "CpuTimeExceeded";

    /** How much of the stderr tail goes into a message. */
    private static final int STDERR_SUMMARY_CHARS = 1500;
    private static final Map<Integer, String> SIGNAL_NAMES = Map.of(
            6, "SIGABRT", 7, "SIGBUS", 9, "SIGKILL", 11, "SIGSEGV", 15, "SIGTERM", 24, "SIGXCPU");
    private static final int SIGKILL = 9;
    private static final int SIGXCPU = 24;

    private FailureDiagnosis() {
    }

    /** The crew's own exception, with the limit named when a limit caused it. */
    static RunError explainCrewError(RunError error, DeploymentConfig config) {
        String message = error.message();
        if (isMemoryExhaustion(error.type(), message)) {
            return new RunError(error.type(), memoryMessage(config) + (message.isBlank() ? "" : ": " + message), error.traceback());
        }
        if (isProcessLimit(error.type(), message, error.traceback())) {
            return new RunError(error.type(), processLimitMessage(config) + ": " + message, error.traceback());
        }
        return error;
    }

    /**
     * Why the crew's process ended without reporting a result or an error. {@code exitStatus} is
     * the shell convention (128 + n when killed by signal n), which bubblewrap also passes on.
     */
    static RunError explainExit(int exitStatus, OutputTail stderr, DeploymentConfig config, boolean droppedOversizedMessage) {
        List<String> lines = stderr.lines();
        Optional<String> sandboxFailure = lines.stream()
                .filter(l -> l.startsWith("bwrap: ") || l.startsWith("setpriv: ") || l.startsWith("prlimit: "))
                .findFirst();
        if (sandboxFailure.isPresent()) {
            return RunError.of(SANDBOX_ERROR, sandboxMessage(sandboxFailure.get()));
        }
        String tail = stderr.summary(STDERR_SUMMARY_CHARS);
        String detail = tail.isEmpty() ? "" : "; last output: " + tail;
        if (lines.stream().anyMatch(l -> l.contains("MemoryError") || l.contains("Cannot allocate memory"))) {
            return RunError.of(MEMORY_ERROR, memoryMessage(config) + detail);
        }
        if (lines.stream().anyMatch(l -> l.contains("can't start new thread")
                || (l.contains("Resource temporarily unavailable") && l.toLowerCase().contains("fork")))) {
            return RunError.of(PROCESS_LIMIT, processLimitMessage(config) + detail);
        }
        if (droppedOversizedMessage) {
            return RunError.of(CREW_CRASHED, "the crew's result was larger than the protocol allows ("
                    + ProtocolStream.MAX_LINE_BYTES / (1024 * 1024) + " MiB) and was dropped; return less, write large data to /app/artifacts");
        }
        if (exitStatus > 128 && exitStatus <= 128 + 64) {
            int signal = exitStatus - 128;
            String name = SIGNAL_NAMES.getOrDefault(signal, "signal " + signal);
            if (signal == SIGXCPU) {
                return RunError.of(CPU_LIMIT, "the crew used up its CPU time (cpu_seconds = "
                        + config.cpuTime().toSeconds() + " in crewship.toml [runtime])" + detail);
            }
            String hint = signal == SIGKILL
                    ? ", most likely because the machine ran out of memory (each process may use up to memory_mb = " + config.memoryMb() + ")"
                    : "";
            return RunError.of(CREW_CRASHED, "the crew's process was killed by " + name + " (exit status " + exitStatus + ")"
                    + " before it reported a result" + hint + detail);
        }
        return RunError.of(CREW_CRASHED, "the crew's process exited with status " + exitStatus
                + " without reporting a result or an error" + detail);
    }

    private static boolean isMemoryExhaustion(String type, String message) {
        return MEMORY_ERROR.equals(type) || message.contains("Cannot allocate memory");
    }

    private static boolean isProcessLimit(String type, String message, String traceback) {
        if ("RuntimeError".equals(type) && message.contains("can't start new thread")) {
            return true;
        }
        // EAGAIN from fork() or clone(); the same errno from a non-blocking socket is not a limit,
        // so the traceback must show a process being started.
        return "BlockingIOError".equals(type) && message.contains("Resource temporarily unavailable")
                && (traceback == null || traceback.contains("fork") || traceback.contains("spawn") || traceback.contains("Popen"));
    }

    static String memoryMessage(DeploymentConfig config) {
        return "the crew ran out of memory: each of its processes may use at most memory_mb = " + config.memoryMb()
                + " MiB (crewship.toml [runtime])";
    }

    static String processLimitMessage(DeploymentConfig config) {
        return "the crew hit its process limit: it may have at most max_processes = " + config.maxProcesses()
                + " processes and threads at once (crewship.toml [runtime])";
    }

    private static String sandboxMessage(String line) {
        String message = "the sandbox could not start: " + line;
        int denied = line.indexOf(": Permission denied");
        if (denied > 0) {
            int pathStart = line.lastIndexOf(' ', denied - 1) + 1;
            String path = line.substring(pathStart, denied);
            message += "; the run's uid cannot reach " + path + ": every folder above it must be traversable by others"
                    + " (mode 0711 or 0755) and its files world-readable (0644/0755)";
        }
        return message;
    }
}

package dev.crewship.executor.process;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The run uids these tests' executors use, and the processes on this host that run as one of them: there
 * must be none between runs. Each test JVM takes a pool of its own, apart from the server's default pool,
 * so a server or another test run on the same machine is never mistaken for a sandbox left behind.
 */
final class RunProcesses {
    static final int RUN_UID_COUNT = 64;
    static final int FIRST_RUN_UID = 300_000 + (int) (ProcessHandle.current().pid() % 4096) * RUN_UID_COUNT;

    private RunProcesses() {
    }

    /** Bubblewrap sandboxes with warm starts, as a server has them, on this JVM's own uid pool. */
    static ProcessExecutorConfig bubblewrap(Path runtimeDir) {
        return new ProcessExecutorConfig(runtimeDir, SandboxMode.BUBBLEWRAP, FIRST_RUN_UID, RUN_UID_COUNT);
    }

    /**
     * Pids of the processes of this JVM's run uids whose command line contains {@code text}: the sandboxes
     * of another test run on the same machine (another JVM, another uid pool) are never among them.
     */
    static List<Long> ofRunUidsRunning(String text) {
        return running().stream().filter(p -> p.command().contains(text)).map(RunProcess::pid).toList();
    }

    /** The processes of this JVM's run uids, each described for a failure message. */
    static List<String> ofRunUids() {
        return running().stream().map(RunProcess::describe).toList();
    }

    /** A process of one of this JVM's run uids, as /proc showed it. */
    private record RunProcess(long pid, int uid, List<String> status, String command) {
        String describe() {
            String state = status.stream().filter(l -> l.startsWith("State:") || l.startsWith("PPid:"))
                    .map(l -> l.replaceAll("\\s+", " ")).toList().toString();
            return pid + " (uid " + uid + " " + state + " " + command.substring(0, Math.min(60, command.length())) + ")";
        }
    }

    private static List<RunProcess> running() {
        int first = FIRST_RUN_UID;
        int last = first + RUN_UID_COUNT - 1;
        List<RunProcess> found = new ArrayList<>();
        try (DirectoryStream<Path> processes = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path process : processes) {
                try {
                    List<String> status = Files.readAllLines(process.resolve("status"));
                    int uid = status.stream().filter(l -> l.startsWith("Uid:"))
                            .mapToInt(l -> Integer.parseInt(l.split("\\s+")[1])).findFirst().orElse(-1);
                    if (uid >= first && uid <= last) {
                        String command = new String(Files.readAllBytes(process.resolve("cmdline"))).replace('\0', ' ');
                        found.add(new RunProcess(Long.parseLong(process.getFileName().toString()), uid, status, command));
                    }
                } catch (IOException | NumberFormatException gone) {
                    // the process ended while being looked at
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return found;
    }
}

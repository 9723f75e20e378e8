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
        int first = FIRST_RUN_UID;
        int last = first + RUN_UID_COUNT - 1;
        List<Long> found = new ArrayList<>();
        try (DirectoryStream<Path> processes = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path process : processes) {
                try {
                    int uid = -1;
                    for (String line : Files.readAllLines(process.resolve("status"))) {
                        if (line.startsWith("Uid:")) {
                            uid = Integer.parseInt(line.split("\\s+")[1]);
                        }
                    }
                    if (uid >= first && uid <= last
                            && new String(Files.readAllBytes(process.resolve("cmdline"))).replace('\0', ' ').contains(text)) {
                        found.add(Long.parseLong(process.getFileName().toString()));
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

    static List<String> ofRunUids() {
        int first = FIRST_RUN_UID;
        int last = first + RUN_UID_COUNT - 1;
        List<String> found = new ArrayList<>();
        try (DirectoryStream<Path> processes = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path process : processes) {
                try {
                    List<String> status = Files.readAllLines(process.resolve("status"));
                    for (String line : status) {
                        if (line.startsWith("Uid:")) {
                            int uid = Integer.parseInt(line.split("\\s+")[1]);
                            if (uid >= first && uid <= last) {
                                String state = status.stream().filter(l -> l.startsWith("State:") || l.startsWith("PPid:"))
                                        .map(l -> l.replaceAll("\\s+", " ")).toList().toString();
                                String command = new String(Files.readAllBytes(process.resolve("cmdline"))).replace('\0', ' ');
                                found.add(process.getFileName() + " (uid " + uid + " " + state + " "
                                        + command.substring(0, Math.min(60, command.length())) + ")");
                            }
                        }
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

package dev.crewship.executor.process;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Processes on this host that run as one of the run uids of the default pool: there must be none between runs. */
final class RunProcesses {
    private RunProcesses() {
    }

    static List<String> ofRunUids() {
        int first = ProcessExecutorConfig.DEFAULT_FIRST_RUN_UID;
        int last = first + ProcessExecutorConfig.DEFAULT_RUN_UID_COUNT - 1;
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

package dev.crewship.run;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kills processes a crashed server left behind for a run: sandboxes are started with
 * {@code --die-with-parent}, so normally none survive, but a run must never keep executing
 * unseen after it was recorded as failed. A run's sandbox is recognized by its scratch folder on
 * the command line (the artifacts folder is bound from there); its whole process tree is killed.
 */
final class LeftoverProcesses {
    private static final Logger log = LoggerFactory.getLogger(LeftoverProcesses.class);

    private LeftoverProcesses() {
    }

    /** Kills every process whose command line mentions {@code scratch}, with its descendants; returns how many were found. */
    static int killFor(Path scratch) {
        String marker = scratch.toString();
        List<ProcessHandle> leftovers = ProcessHandle.allProcesses()
                .filter(p -> p.pid() != ProcessHandle.current().pid())
                .filter(p -> commandLine(p).map(c -> c.contains(marker)).orElse(false))
                .toList();
        for (ProcessHandle process : leftovers) {
            log.warn("killing process {} left behind by a previous server for {}", process.pid(), scratch);
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
        return leftovers.size();
    }

    private static Optional<String> commandLine(ProcessHandle process) {
        try {
            return process.info().commandLine();
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }
}

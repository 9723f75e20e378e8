package dev.crewship.run;

import dev.crewship.artifact.ArtifactCollector;
import dev.crewship.common.DataDir;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles runs a previous server process left unfinished; called on start, before the
 * {@link RunDispatcher} starts. The policy (docs/operations.md, "Crash recovery"):
 * <ul>
 *   <li>a run left {@code running} is finished {@code failed} with error type {@value #SERVER_RESTARTED}:
 *       a crew may have had side effects (sent mail, charged a card), so it is never re-run silently.
 *       Processes it left are killed first, and what it had written to its artifacts folder is collected;</li>
 *   <li>a run left {@code pending} never started and stays pending: the dispatcher runs it;</li>
 *   <li>scratch folders of runs that are not running are removed.</li>
 * </ul>
 * With one server per database (SQLite) every unfinished run belonged to the previous process of
 * this server. Several nodes sharing PostgreSQL need node ids that survive a restart before this may
 * run on one node while others execute runs.
 */
public final class RunRecovery {
    public static final String SERVER_RESTARTED = "ServerRestarted";

    private static final Logger log = LoggerFactory.getLogger(RunRecovery.class);

    private final RunStore runs;
    private final ArtifactCollector collector;
    private final DataDir dataDir;
    private final Clock clock;

    public RunRecovery(RunStore runs, ArtifactCollector collector, DataDir dataDir, Clock clock) {
        this.runs = runs;
        this.collector = collector;
        this.dataDir = dataDir;
        this.clock = clock;
    }

    /** What recovery did: the ids of the runs it failed and how many pending runs it kept. */
    public record Report(List<String> failed, int keptPending) {
        public Report {
            failed = List.copyOf(failed);
        }
    }

    public Report recover() {
        List<String> failed = new ArrayList<>();
        int pending = 0;
        for (Run run : runs.listUnfinished()) {
            if (run.status() == RunStatus.PENDING) {
                pending++;
            } else if (failInterrupted(run)) {
                failed.add(run.id());
            }
        }
        removeStaleScratch();
        if (!failed.isEmpty() || pending > 0) {
            log.info("recovery: {} interrupted runs failed with {}, {} pending runs kept for dispatch", failed.size(), SERVER_RESTARTED, pending);
        }
        return new Report(failed, pending);
    }

    private boolean failInterrupted(Run run) {
        Path scratch = dataDir.runScratch(run.id());
        LeftoverProcesses.killFor(scratch);
        ArtifactCollector.Collected collected = collector.collect(run.id(), RunScratch.artifactsDir(scratch));
        for (String note : collected.notes()) {
            runs.appendEvent(run.id(), PlatformLog.event(note), clock.instant());
        }
        RunError error = RunError.of(SERVER_RESTARTED, "the server stopped while the run was executing (crash or kill) and has restarted;"
                + " the run is not retried because a crew may have side effects: start it again if that is safe");
        boolean finished = runs.finish(run.id(), RunCompletions.failed(run, error, collected.artifacts(), clock.instant())).isPresent();
        RunScratch.delete(scratch);
        return finished;
    }

    /** Scratch folders exist only while a run executes; after a restart none is in use. */
    private void removeStaleScratch() {
        Path parent = dataDir.runScratch("any").getParent();
        if (!Files.isDirectory(parent)) {
            return;
        }
        Set<Path> stale;
        try (Stream<Path> entries = Files.list(parent)) {
            stale = entries.collect(Collectors.toSet());
        } catch (IOException e) {
            log.warn("cannot list {}: {}", parent, e.toString());
            return;
        }
        for (Path scratch : stale) {
            LeftoverProcesses.killFor(scratch);
            RunScratch.delete(scratch);
        }
    }
}

package dev.crewship.cli.run;

import dev.crewship.cli.CrewshipCommand;
import dev.crewship.cli.api.ApiClient;
import dev.crewship.cli.api.ApiException;
import dev.crewship.cli.api.Json;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Ctrl-C while the CLI follows a run: on a terminal it asks "Cancel run run_…? [y/N]"; without one
 * (a script, CI) it cancels, since nobody is there to ask and leaving the run going would be a
 * surprise. Either way the CLI keeps following until the run's terminal event. A second Ctrl-C
 * while asking or cancelling quits at once (exit 130), leaving the run as it is.
 *
 * <p>{@code sun.misc.Signal} is the JDK's only way to intercept SIGINT without ending the process.
 */
public final class CancelOnInterrupt implements AutoCloseable {
    private static final Signal INTERRUPT = new Signal("INT");
    private static final int EXIT_INTERRUPTED = 130;

    private final CrewshipCommand cli;
    private final String runId;
    private final AtomicBoolean busy = new AtomicBoolean();
    private final SignalHandler previous;

    private CancelOnInterrupt(CrewshipCommand cli, String runId) {
        this.cli = cli;
        this.runId = runId;
        this.previous = Signal.handle(INTERRUPT, signal -> onInterrupt());
    }

    public static CancelOnInterrupt install(CrewshipCommand cli, String runId) {
        return new CancelOnInterrupt(cli, runId);
    }

    @Override
    public void close() {
        Signal.handle(INTERRUPT, previous);
    }

    private void onInterrupt() {
        if (!busy.compareAndSet(false, true)) {
            cli.err().println();
            cli.note("Stopped following run " + runId + "; it was left as it is ('crewship runs get " + runId + "').");
            Runtime.getRuntime().halt(EXIT_INTERRUPTED);
        }
        // The signal thread must not block: ask and cancel on a thread of their own.
        Thread.ofPlatform().daemon().name("cancel-run").start(() -> {
            try {
                if (!cli.context().terminal().stdinTty() || confirmed()) {
                    cancel();
                }
            } finally {
                busy.set(false);
            }
        });
    }

    private boolean confirmed() {
        String answer = cli.ask("\nCancel run " + runId + "? [y/N] ");
        return answer != null && answer.trim().toLowerCase(Locale.ROOT).startsWith("y");
    }

    private void cancel() {
        cli.note("Canceling run " + runId + "...");
        try {
            String status = Json.text(cli.api().post("/v1/runs/" + ApiClient.encode(runId) + "/cancel", Json.object()), "status");
            cli.note("Run " + runId + " is " + status);
        } catch (ApiException e) {
            cli.note("Could not cancel run " + runId + ": " + e.getMessage());
        }
    }
}

package dev.crewship.executor.process;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Tells whether bubblewrap sandboxes work on this host, by starting one: the same namespaces and
 * read-only system a run gets, as an unprivileged uid when the server is root (uid 65534, nobody),
 * running {@code prlimit … true}. The server calls it at start and refuses to start without sandboxes
 * unless a developer explicitly chose {@link SandboxMode#UNSANDBOXED}.
 */
public final class BubblewrapProbe {
    private static final int NOBODY = 65534;
    private static final long TIMEOUT_SECONDS = 10;

    /** {@code works} with bubblewrap's version as {@code detail}, or not with the reason. */
    public record Result(boolean works, String detail) {
    }

    private BubblewrapProbe() {
    }

    public static Result check() {
        Optional<String> version = version();
        if (version.isEmpty()) {
            return new Result(false, "bubblewrap is not installed (" + SandboxCommand.BWRAP + "); install the bubblewrap package");
        }
        for (String tool : List.of(SandboxCommand.PRLIMIT, SandboxCommand.SETPRIV)) {
            if (!Files.isExecutable(Path.of(tool))) {
                return new Result(false, tool + " is missing; install the util-linux package");
            }
        }
        List<String> argv = new ArrayList<>();
        if (HostUser.current().isRoot()) {
            argv.addAll(List.of(SandboxCommand.SETPRIV, "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups", "--"));
        }
        argv.add(SandboxCommand.BWRAP);
        argv.addAll(SandboxCommand.isolation(false));
        argv.addAll(List.of("--remount-ro", "/", "--", SandboxCommand.PRLIMIT, "--nproc=16", "--", "/usr/bin/true"));
        Outcome outcome = run(argv);
        return outcome.status == 0
                ? new Result(true, version.get())
                : new Result(false, "bubblewrap cannot create a sandbox on this host (exit status " + outcome.status + "): "
                        + outcome.output.strip() + "; unprivileged user namespaces must be enabled (sysctl kernel.unprivileged_userns_clone=1,"
                        + " user.max_user_namespaces > 0)");
    }

    /** {@code bubblewrap 0.8.0}, or empty when bubblewrap is not installed. */
    static Optional<String> version() {
        if (!Files.isExecutable(Path.of(SandboxCommand.BWRAP))) {
            return Optional.empty();
        }
        Outcome outcome = run(List.of(SandboxCommand.BWRAP, "--version"));
        return outcome.status == 0 ? Optional.of(outcome.output.strip()) : Optional.empty();
    }

    private record Outcome(int status, String output) {
    }

    private static Outcome run(List<String> argv) {
        try {
            ProcessBuilder builder = new ProcessBuilder(argv).redirectErrorStream(true);
            builder.environment().clear();
            Process process = builder.start();
            process.getOutputStream().close();
            // The commands print a line or two: waiting first cannot fill the pipe.
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                ProcessTree.kill(process.toHandle(), Duration.ZERO);
                return new Outcome(-1, "no answer within " + TIMEOUT_SECONDS + " s");
            }
            try (InputStream out = process.getInputStream()) {
                return new Outcome(process.exitValue(), new String(out.readNBytes(16 * 1024), StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            return new Outcome(-1, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome(-1, "interrupted");
        }
    }
}

package dev.crewship.cli.server;

import dev.crewship.cli.CrewshipCommand;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code crewship server}: runs the Crewship server in the foreground until SIGTERM or Ctrl-C, which
 * stop it gracefully (docs/operations.md). It only declares and reads the options: no server type
 * appears here, so the client jar (bin/crewship's, without the server) can still describe the command
 * in help; {@link ServerLauncher}, only in the full jar, starts the server.
 */
@Command(name = "server", sortOptions = false,
        description = {"Run the Crewship server in the foreground (stop it with Ctrl-C or SIGTERM).",
                "The first start creates an admin API key, prints it once and writes it to <data-dir>/admin-key."})
public final class ServerCommand implements Callable<Integer> {
    @Option(names = "--port", paramLabel = "PORT", defaultValue = "8080", description = "TCP port (default ${DEFAULT-VALUE}; 0 picks a free one)")
    private int port;

    @Option(names = "--host", paramLabel = "HOST", defaultValue = "127.0.0.1",
            description = "Interface to listen on (default ${DEFAULT-VALUE}: this machine only; 0.0.0.0 for every interface)")
    private String host;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Where the database, deployments, environments and artifacts are kept"
                    + " (default: /var/lib/crewship as root, else $XDG_DATA_HOME/crewship or ~/.local/share/crewship)")
    private Path dataDir;

    @Option(names = "--max-concurrent-runs", paramLabel = "N", description = "Runs executing at once; more wait as pending (default: 2 x cores, at least 4)")
    private Integer maxConcurrentRuns;

    @Option(names = "--max-body-bytes", paramLabel = "BYTES", description = "Largest JSON request body, and run input (default 1 MiB)")
    private Long maxBodyBytes;

    @Option(names = "--max-bundle-bytes", paramLabel = "BYTES", description = "Largest deployment upload, compressed (default 100 MiB)")
    private Long maxBundleBytes;

    @Option(names = "--max-extracted-bytes", paramLabel = "BYTES", description = "Largest deployment upload, extracted (default 500 MiB)")
    private Long maxExtractedBytes;

    @Option(names = "--max-artifact-bytes", paramLabel = "BYTES", description = "Largest single artifact (default 100 MiB)")
    private Long maxArtifactBytes;

    @Option(names = "--max-run-artifact-bytes", paramLabel = "BYTES", description = "Largest total of one run's artifacts (default 1 GiB)")
    private Long maxRunArtifactBytes;

    @Option(names = "--no-warm-starts",
            description = "Start every run cold (a new sandbox and interpreter) instead of forking it from a warm parent"
                    + " that has imported the crew already; see docs/runtime-protocol.md, Warm starts")
    private boolean noWarmStarts;

    @Option(names = "--dangerously-run-crews-unsandboxed",
            description = "Run crews as plain processes of this server's user, without bubblewrap. Development only, with trusted crews.")
    private boolean unsandboxed;

    private final CrewshipCommand cli;

    ServerCommand(CrewshipCommand cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws InterruptedException {
        Path data = dataDir != null ? dataDir : defaultDataDir(cli.context().env(), cli.context().home());
        return ServerLauncher.run(new ServerOptions(host, port, data, maxConcurrentRuns, maxBodyBytes, maxBundleBytes,
                maxExtractedBytes, maxArtifactBytes, maxRunArtifactBytes, !noWarmStarts, unsandboxed));
    }

    /** The same default scripts/start.sh uses, so both find one server's data. */
    static Path defaultDataDir(Map<String, String> env, Path home) {
        if ("root".equals(System.getProperty("user.name"))) {
            return Path.of("/var/lib/crewship");
        }
        String xdg = env.get("XDG_DATA_HOME");
        Path base = xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute() ? Path.of(xdg) : home.resolve(".local/share");
        return base.resolve("crewship");
    }
}

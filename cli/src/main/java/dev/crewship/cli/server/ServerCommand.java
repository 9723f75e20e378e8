package dev.crewship.cli.server;

import dev.crewship.cli.CliException;
import dev.crewship.cli.CrewshipCommand;
import dev.crewship.server.CrewshipServer;
import dev.crewship.server.ServerConfig;
import dev.crewship.server.ServerStartException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code crewship server}: runs the Crewship server in the foreground until SIGTERM or Ctrl-C, which
 * stop it gracefully (docs/operations.md). The options map one to one onto {@link ServerConfig}.
 * Server types appear only inside {@link #call()}, so client commands never load the server's classes.
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
        ServerConfig config;
        try {
            config = config();
        } catch (IllegalArgumentException e) {
            throw new CliException("invalid server option: " + e.getMessage(), e);
        }
        CrewshipServer server;
        try {
            server = CrewshipServer.start(config);
        } catch (ServerStartException e) {
            throw new CliException(e.getMessage(), e);
        }
        // SIGTERM and Ctrl-C run the shutdown hooks: stop the server there, and return once it has stopped.
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("crewship-stop").unstarted(server::close));
        server.awaitClosed();
        return 0;
    }

    ServerConfig config() {
        ServerConfig config = ServerConfig.defaults(dataDir != null ? dataDir : defaultDataDir(cli.context().env(), cli.context().home()))
                .withHost(host)
                .withPort(port)
                .withUnsandboxed(unsandboxed)
                .withWarmStarts(!noWarmStarts);
        if (maxConcurrentRuns != null) {
            config = config.withMaxConcurrentRuns(maxConcurrentRuns);
        }
        ServerConfig.Limits limits = config.limits();
        return config.withLimits(new ServerConfig.Limits(
                maxBodyBytes != null ? maxBodyBytes : limits.maxBodyBytes(),
                maxBundleBytes != null ? maxBundleBytes : limits.maxBundleBytes(),
                maxExtractedBytes != null ? maxExtractedBytes : limits.maxExtractedBytes(),
                limits.maxExtractedEntries(),
                maxArtifactBytes != null ? maxArtifactBytes : limits.maxArtifactBytes(),
                maxRunArtifactBytes != null ? maxRunArtifactBytes : limits.maxRunArtifactBytes()));
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

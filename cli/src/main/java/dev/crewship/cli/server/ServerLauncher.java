package dev.crewship.cli.server;

import dev.crewship.cli.CliException;
import dev.crewship.server.CrewshipServer;
import dev.crewship.server.ServerConfig;
import dev.crewship.server.ServerStartException;

/**
 * Starts the server of {@code crewship server} and keeps it running until SIGTERM or Ctrl-C, which
 * stop it gracefully. The only class of the CLI that needs the server's: it is in the full
 * distribution jar, not in the client jar bin/crewship starts other commands from (docs/operations.md,
 * "CLI start-up").
 */
final class ServerLauncher {
    private ServerLauncher() {
    }

    static int run(ServerOptions options) throws InterruptedException {
        ServerConfig config;
        try {
            config = config(options);
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

    static ServerConfig config(ServerOptions options) {
        ServerConfig config = ServerConfig.defaults(options.dataDir())
                .withHost(options.host())
                .withPort(options.port())
                .withUnsandboxed(options.unsandboxed())
                .withWarmStarts(options.warmStarts());
        if (options.maxConcurrentRuns() != null) {
            config = config.withMaxConcurrentRuns(options.maxConcurrentRuns());
        }
        ServerConfig.Limits limits = config.limits();
        return config.withLimits(new ServerConfig.Limits(
                orDefault(options.maxBodyBytes(), limits.maxBodyBytes()),
                orDefault(options.maxBundleBytes(), limits.maxBundleBytes()),
                orDefault(options.maxExtractedBytes(), limits.maxExtractedBytes()),
                limits.maxExtractedEntries(),
                orDefault(options.maxArtifactBytes(), limits.maxArtifactBytes()),
                orDefault(options.maxRunArtifactBytes(), limits.maxRunArtifactBytes())));
    }

    private static long orDefault(Long given, long otherwise) {
        return given != null ? given : otherwise;
    }
}

package dev.crewship.cli.server;

import java.nio.file.Path;

/**
 * The options of {@code crewship server} as given, null where one was left out (the server's default
 * then holds); {@link ServerLauncher} maps them one to one onto the server's configuration.
 */
record ServerOptions(String host, int port, Path dataDir, Integer maxConcurrentRuns, Long maxBodyBytes, Long maxBundleBytes,
                     Long maxExtractedBytes, Long maxArtifactBytes, Long maxRunArtifactBytes, boolean warmStarts,
                     boolean unsandboxed) {
}

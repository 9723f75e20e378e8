package dev.crewship.server;

import dev.crewship.artifact.ArtifactLimits;
import dev.crewship.deployment.SourceBundle;
import dev.crewship.run.RunDispatcherConfig;
import java.nio.file.Path;
import java.util.Objects;

/**
 * How a server is started ({@code crewship server …}). Defaults are those of docs/api.md.
 *
 * @param host               interface to listen on; loopback by default, so nothing is exposed by accident
 * @param port               TCP port; 0 picks a free one (tests)
 * @param dataDir            where everything is kept ({@code --data-dir})
 * @param maxConcurrentRuns  runs executing at once; more wait as pending ({@code --max-concurrent-runs})
 * @param limits             request, bundle and artifact size limits
 * @param unsandboxed        run crews as plain processes without bubblewrap: development only
 *                           ({@value #UNSANDBOXED_FLAG})
 * @param warmStarts         fork runs from warm parents that have imported the crew (docs/runtime-protocol.md,
 *                           "Warm starts"); {@code --no-warm-starts} starts every run cold
 */
public record ServerConfig(String host, int port, Path dataDir, int maxConcurrentRuns, Limits limits, boolean unsandboxed,
                           boolean warmStarts) {
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8080;
    /** The CLI flag that turns sandboxes off; named so nobody uses it by accident. */
    public static final String UNSANDBOXED_FLAG = "--dangerously-run-crews-unsandboxed";

    public ServerConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(limits, "limits");
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port must be between 0 and 65535");
        }
        if (maxConcurrentRuns < 1) {
            throw new IllegalArgumentException("max concurrent runs must be at least 1");
        }
        dataDir = dataDir.toAbsolutePath().normalize();
    }

    /** The documented defaults with the given data dir. */
    public static ServerConfig defaults(Path dataDir) {
        return new ServerConfig(DEFAULT_HOST, DEFAULT_PORT, dataDir, RunDispatcherConfig.defaultMaxConcurrentRuns(), Limits.defaults(), false, true);
    }

    public ServerConfig withHost(String host) {
        return new ServerConfig(host, port, dataDir, maxConcurrentRuns, limits, unsandboxed, warmStarts);
    }

    public ServerConfig withPort(int port) {
        return new ServerConfig(host, port, dataDir, maxConcurrentRuns, limits, unsandboxed, warmStarts);
    }

    public ServerConfig withMaxConcurrentRuns(int maxConcurrentRuns) {
        return new ServerConfig(host, port, dataDir, maxConcurrentRuns, limits, unsandboxed, warmStarts);
    }

    public ServerConfig withLimits(Limits limits) {
        return new ServerConfig(host, port, dataDir, maxConcurrentRuns, limits, unsandboxed, warmStarts);
    }

    public ServerConfig withWarmStarts(boolean warmStarts) {
        return new ServerConfig(host, port, dataDir, maxConcurrentRuns, limits, unsandboxed, warmStarts);
    }

    public ServerConfig withUnsandboxed(boolean unsandboxed) {
        return new ServerConfig(host, port, dataDir, maxConcurrentRuns, limits, unsandboxed, warmStarts);
    }

    /**
     * Size limits (docs/api.md, "Limits").
     *
     * @param maxBodyBytes         a JSON request body, and a run's {@code input} ({@code --max-body-bytes})
     * @param maxBundleBytes       a deployment upload, compressed ({@code --max-bundle-bytes})
     * @param maxExtractedBytes    a deployment upload, extracted ({@code --max-extracted-bytes})
     * @param maxExtractedEntries  files, folders and links in one upload
     * @param maxArtifactBytes     one artifact ({@code --max-artifact-bytes})
     * @param maxRunArtifactBytes  all artifacts of one run ({@code --max-run-artifact-bytes})
     */
    public record Limits(long maxBodyBytes, long maxBundleBytes, long maxExtractedBytes, int maxExtractedEntries,
                         long maxArtifactBytes, long maxRunArtifactBytes) {
        public static final long DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

        public Limits {
            if (maxBodyBytes < 1 || maxBundleBytes < 1 || maxExtractedBytes < 1 || maxExtractedEntries < 1
                    || maxArtifactBytes < 0 || maxRunArtifactBytes < 0) {
                throw new IllegalArgumentException("size limits must be positive");
            }
        }

        public static Limits defaults() {
            return new Limits(DEFAULT_MAX_BODY_BYTES, SourceBundle.Limits.DEFAULT_MAX_COMPRESSED_BYTES,
                    SourceBundle.Limits.DEFAULT_MAX_EXTRACTED_BYTES, SourceBundle.Limits.DEFAULT_MAX_ENTRIES,
                    ArtifactLimits.DEFAULT_MAX_FILE_BYTES, ArtifactLimits.DEFAULT_MAX_RUN_BYTES);
        }

        public SourceBundle.Limits bundle() {
            return new SourceBundle.Limits(maxBundleBytes, maxExtractedBytes, maxExtractedEntries);
        }

        public ArtifactLimits artifacts() {
            return new ArtifactLimits(maxArtifactBytes, maxRunArtifactBytes, ArtifactLimits.DEFAULT_MAX_FILES);
        }

        public Limits withMaxBodyBytes(long maxBodyBytes) {
            return new Limits(maxBodyBytes, maxBundleBytes, maxExtractedBytes, maxExtractedEntries, maxArtifactBytes, maxRunArtifactBytes);
        }

        public Limits withBundle(long maxBundleBytes, long maxExtractedBytes, int maxExtractedEntries) {
            return new Limits(maxBodyBytes, maxBundleBytes, maxExtractedBytes, maxExtractedEntries, maxArtifactBytes, maxRunArtifactBytes);
        }
    }
}

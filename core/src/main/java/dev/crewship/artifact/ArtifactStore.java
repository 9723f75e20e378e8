package dev.crewship.artifact;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;

/**
 * Durable, content-addressed storage for artifact bytes. Identical files are stored once.
 * Implementations: a local folder (default); S3-compatible storage later.
 */
public interface ArtifactStore {
    /**
     * Copies {@code file} into the store and returns its address. Writes are atomic: a blob is
     * either fully present under its sha256 or absent.
     */
    StoredBlob put(Path file) throws IOException;

    /** Opens a stored blob for streaming; throws {@link java.io.FileNotFoundException} when absent. */
    InputStream open(String sha256) throws IOException;
}

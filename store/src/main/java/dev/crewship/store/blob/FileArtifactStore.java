package dev.crewship.store.blob;

import dev.crewship.artifact.ArtifactStore;
import dev.crewship.artifact.StoredBlob;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Artifact bytes in a local folder, addressed by their SHA-256: {@code <root>/sha256/ab/abcdef…}.
 * A file is hashed while it is copied into {@code <root>/tmp} (same filesystem), synced to disk and
 * then renamed into place, so a blob path either holds the complete content or does not exist,
 * also after a crash. Identical content is stored once.
 */
public final class FileArtifactStore implements ArtifactStore {
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

    private final Path blobs;
    private final Path tmp;

    /** Uses (and creates when missing) the folder {@code root}, e.g. {@code DataDir.blobs()}. */
    public FileArtifactStore(Path root) throws IOException {
        Path absolute = root.toAbsolutePath().normalize();
        this.blobs = Files.createDirectories(absolute.resolve("sha256"));
        this.tmp = Files.createDirectories(absolute.resolve("tmp"));
    }

    @Override
    public StoredBlob put(Path file) throws IOException {
        Path staging = Files.createTempFile(tmp, "blob-", ".partial");
        try {
            MessageDigest sha256 = newSha256();
            long size;
            try (InputStream in = Files.newInputStream(file);
                 FileChannel channel = FileChannel.open(staging, StandardOpenOption.WRITE)) {
                OutputStream out = new DigestOutputStream(Channels.newOutputStream(channel), sha256);
                size = in.transferTo(out);
                out.flush();
                channel.force(true);
            }
            String hex = HexFormat.of().formatHex(sha256.digest());
            Path target = pathOf(hex);
            if (!Files.exists(target)) {
                Path folder = Files.createDirectories(target.getParent());
                // Same content under the same name: when two puts race, either rename may win.
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
                syncDirectory(folder);
            }
            return new StoredBlob(hex, size);
        } finally {
            Files.deleteIfExists(staging);
        }
    }

    @Override
    public InputStream open(String sha256) throws IOException {
        if (sha256 == null || !SHA256_HEX.matcher(sha256).matches()) {
            throw new FileNotFoundException("no blob " + sha256);
        }
        try {
            return Files.newInputStream(pathOf(sha256));
        } catch (NoSuchFileException e) {
            throw new FileNotFoundException("no blob " + sha256);
        }
    }

    private Path pathOf(String hex) {
        return blobs.resolve(hex.substring(0, 2)).resolve(hex);
    }

    /** Makes the rename itself durable: on Linux a directory entry is persisted by syncing the directory. */
    private static void syncDirectory(Path folder) throws IOException {
        try (FileChannel dir = FileChannel.open(folder, StandardOpenOption.READ)) {
            dir.force(true);
        }
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}

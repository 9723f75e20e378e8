package dev.crewship.cli.run;

import dev.crewship.cli.CliException;
import dev.crewship.cli.api.ApiClient;
import dev.crewship.cli.output.ProgressBar;
import dev.crewship.cli.output.Terminal;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Writes a run's artifacts to disk. Each file is streamed to a hidden temporary file beside its
 * target, checked against the server's SHA-256 ({@code ETag}) and only then moved into place, so an
 * interrupted or corrupted download never leaves a partial file under the real name.
 */
final class ArtifactDownloads {
    private final ApiClient api;
    private final PrintStream err;
    private final Terminal terminal;

    ArtifactDownloads(ApiClient api, PrintStream err, Terminal terminal) {
        this.api = api;
        this.err = err;
        this.terminal = terminal;
    }

    /** The API path of one artifact; its name keeps its '/' separators. */
    static String path(String runId, String name) {
        StringBuilder path = new StringBuilder("/v1/runs/").append(ApiClient.encode(runId)).append("/artifacts");
        for (String segment : name.split("/")) {
            path.append('/').append(ApiClient.encode(segment));
        }
        return path.toString();
    }

    /**
     * Where an artifact named {@code name} goes below {@code folder}, refusing names that would land
     * outside it (the server never sends those; a CLI writing files still must not trust that).
     */
    static Path targetBelow(Path folder, String name) {
        Path base = folder.toAbsolutePath().normalize();
        Path target = base.resolve(name).normalize();
        if (name.isEmpty() || name.startsWith("/") || !target.startsWith(base) || target.equals(base)) {
            throw new CliException("refusing to write artifact '" + name + "': its name points outside " + base);
        }
        return target;
    }

    /** Downloads one artifact to {@code target}; returns its size. */
    long download(String runId, String name, Path target) {
        ApiClient.Download download = api.download(path(runId, name));
        Path folder = target.toAbsolutePath().getParent();
        Path temp = null;
        try (InputStream body = download.body();
             ProgressBar progress = ProgressBar.start(err, terminal, target.getFileName().toString(), download.length())) {
            Files.createDirectories(folder);
            temp = Files.createTempFile(folder, "." + target.getFileName(), ".download");
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            long size = 0;
            try (OutputStream out = new DigestOutputStream(Files.newOutputStream(temp), sha256)) {
                byte[] buffer = new byte[64 * 1024];
                int n;
                while ((n = body.read(buffer)) > 0) {
                    out.write(buffer, 0, n);
                    size += n;
                    progress.advance(n);
                }
            }
            String actual = HexFormat.of().formatHex(sha256.digest());
            if (download.sha256() != null && !download.sha256().equalsIgnoreCase(actual)) {
                throw new CliException("artifact " + name + " arrived damaged (SHA-256 " + actual + ", expected "
                        + download.sha256() + "); nothing was written, try again");
            }
            move(temp, target);
            return size;
        } catch (IOException e) {
            throw new CliException("cannot download artifact " + name + " to " + target + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        } finally {
            deleteQuietly(temp);
        }
    }

    private static void move(Path temp, Path target) throws IOException {
        try {
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void deleteQuietly(Path temp) {
        if (temp == null) {
            return;
        }
        try {
            Files.deleteIfExists(temp);
        } catch (IOException e) {
            // a leftover hidden temporary file is harmless; the download's own outcome matters more
        }
    }
}

package dev.crewship.deployment;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/** Builds tar.gz bundles for tests, including the malformed and malicious kinds a client could send. */
public final class Tarball {
    private record Entry(String name, byte type, byte[] data, String link, int mode, long zeros) {
    }

    private final List<Entry> entries = new ArrayList<>();

    public static Tarball of() {
        return new Tarball();
    }

    public Tarball file(String name, String content) {
        return file(name, content.getBytes(StandardCharsets.UTF_8), 0644);
    }

    public Tarball file(String name, byte[] content, int mode) {
        entries.add(new Entry(name, TarConstants.LF_NORMAL, content, null, mode, 0));
        return this;
    }

    /** A file of {@code size} zero bytes, streamed (never held in memory). */
    public Tarball zeros(String name, long size) {
        entries.add(new Entry(name, TarConstants.LF_NORMAL, null, null, 0644, size));
        return this;
    }

    public Tarball folder(String name) {
        entries.add(new Entry(name.endsWith("/") ? name : name + "/", TarConstants.LF_DIR, null, null, 0755, 0));
        return this;
    }

    public Tarball symlink(String name, String target) {
        entries.add(new Entry(name, TarConstants.LF_SYMLINK, null, target, 0777, 0));
        return this;
    }

    public Tarball hardLink(String name, String target) {
        entries.add(new Entry(name, TarConstants.LF_LINK, null, target, 0644, 0));
        return this;
    }

    public Tarball special(String name, byte type) {
        entries.add(new Entry(name, type, null, null, 0644, 0));
        return this;
    }

    /** A crew with no dependencies: {@code crewship.toml} plus {@code hello/crew.py} returning {@code version}. */
    public static Tarball crew(String version) {
        return of()
                .file("crewship.toml", "[deployment]\nframework = \"crewai\"\nentrypoint = \"hello.crew:kickoff\"\n")
                .file("hello/__init__.py", "")
                .file("hello/crew.py", "def kickoff(inputs):\n    return {\"version\": \"" + version + "\", \"input\": inputs}\n");
    }

    public byte[] gzip() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(bytes))) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            for (Entry entry : entries) {
                // preserveAbsolutePath: a client may send anything, including names Java would clean up.
                TarArchiveEntry header = new TarArchiveEntry(entry.name(), entry.type(), true);
                header.setMode(entry.mode());
                if (entry.link() != null) {
                    header.setLinkName(entry.link());
                }
                long size = entry.data() != null ? entry.data().length : entry.zeros();
                header.setSize(size);
                tar.putArchiveEntry(header);
                if (entry.data() != null) {
                    tar.write(entry.data());
                } else if (entry.zeros() > 0) {
                    byte[] chunk = new byte[1024 * 1024];
                    for (long left = entry.zeros(); left > 0; left -= chunk.length) {
                        tar.write(chunk, 0, (int) Math.min(chunk.length, left));
                    }
                }
                tar.closeArchiveEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}

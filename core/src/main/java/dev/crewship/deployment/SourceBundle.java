package dev.crewship.deployment;

import dev.crewship.error.CrewshipException;
import dev.crewship.error.ProblemType;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * Extracts an uploaded crew folder (a {@code tar.gz}) safely, streaming, into an empty folder.
 *
 * <p>What it refuses, each as a 422 {@code invalid-bundle} naming the entry (the compressed size
 * limit is a 413): absolute paths and {@code ..} segments; hard links, devices, FIFOs and other
 * special entries; symbolic links that are absolute or lead outside the bundle; more entries or
 * more extracted bytes than the {@link Limits} allow (archive bombs are stopped while they inflate,
 * never trusted by their headers); the same path twice; anything under {@value #ARTIFACTS}/.
 *
 * <p>Why links are created last: a file is then never written through a link, and every link is
 * checked twice, by its text when it is read and by where it really leads once all are in place
 * (a chain of links inside the bundle can still lead out).
 *
 * <p>Permissions are normalised to 0644 (0755 when the archive marks a file executable) and 0755
 * for folders: sandboxes run as other uids and must read the source, nothing more. The root always
 * gets an empty {@value #ARTIFACTS} folder, the mount point of a run's {@code /app/artifacts}.
 */
public final class SourceBundle {
    /** The folder a run writes its artifacts to ({@code /app/artifacts}); bundles may not bring one. */
    public static final String ARTIFACTS = "artifacts";

    /** Longest entry path, and longest single name in it, in UTF-8 bytes (Linux PATH_MAX and NAME_MAX). */
    static final int MAX_PATH_BYTES = 4096;
    static final int MAX_NAME_BYTES = 255;
    /**
     * What bytes that are not UTF-8 in a PAX name decode to (U+FFFD, the replacement character; Python's
     * tarfile and GNU tar {@code --format=pax} store such names there): without this check the file would
     * be stored under a name other than the archive's, and two different names could become one. (Names in
     * the old ustar/GNU header fields are decoded by commons-compress with '?' for such bytes, which cannot
     * be told from a real '?'; docs/api.md says so.)
     */
    private static final char NOT_UTF8 = '\uFFFD';

    private static final Set<PosixFilePermission> FOLDER = PosixFilePermissions.fromString("rwxr-xr-x");
    private static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-r--r--");
    private static final Set<PosixFilePermission> EXECUTABLE = FOLDER;

    /**
     * How big a bundle may be.
     *
     * @param maxCompressedBytes the upload itself ({@code --max-bundle-bytes})
     * @param maxExtractedBytes  all extracted files together ({@code --max-extracted-bytes})
     * @param maxEntries         files, folders and links together
     */
    public record Limits(long maxCompressedBytes, long maxExtractedBytes, int maxEntries) {
        public static final long DEFAULT_MAX_COMPRESSED_BYTES = 100L * 1024 * 1024;
        public static final long DEFAULT_MAX_EXTRACTED_BYTES = 500L * 1024 * 1024;
        public static final int DEFAULT_MAX_ENTRIES = 20_000;

        public Limits {
            if (maxCompressedBytes < 1 || maxExtractedBytes < 1 || maxEntries < 1) {
                throw new IllegalArgumentException("bundle limits must be positive");
            }
        }

        public static Limits defaults() {
            return new Limits(DEFAULT_MAX_COMPRESSED_BYTES, DEFAULT_MAX_EXTRACTED_BYTES, DEFAULT_MAX_ENTRIES);
        }
    }

    /** What was extracted: the upload's SHA-256 (hex) and size, and the extracted bytes and entries. */
    public record Extracted(String sha256, long compressedBytes, long extractedBytes, int entries) {
    }

    private final Path root;
    private final Limits limits;
    private final Set<String> claimed = new HashSet<>();
    private final List<Link> links = new ArrayList<>();
    private long extractedBytes;
    private int entries;

    private record Link(String name, Path path, String target) {
    }

    private SourceBundle(Path root, Limits limits) {
        this.root = root;
        this.limits = limits;
    }

    /**
     * Extracts the tar.gz read from {@code upload} into {@code root}, an existing empty folder. On
     * a {@link CrewshipException} the folder holds a partial extraction: the caller deletes it.
     *
     * @throws CrewshipException    {@code invalid-bundle} (422) or {@code payload-too-large} (413)
     * @throws UncheckedIOException when the server cannot write the files (not the bundle's fault)
     */
    public static Extracted extract(InputStream upload, Path root, Limits limits) {
        return new SourceBundle(root.toAbsolutePath().normalize(), limits).extract(upload);
    }

    private Extracted extract(InputStream upload) {
        MeteredInput metered = new MeteredInput(upload, limits.maxCompressedBytes());
        try (TarArchiveInputStream tar = open(metered)) {
            TarArchiveEntry entry;
            while ((entry = next(tar)) != null) {
                add(entry, tar);
            }
            drain(metered);
        } catch (IOException e) {
            throw new UncheckedIOException("could not close the bundle stream", e);
        }
        createLinks();
        finishFolders();
        return new Extracted(metered.sha256(), metered.count(), extractedBytes, entries);
    }

    private static TarArchiveInputStream open(MeteredInput metered) {
        try {
            GzipCompressorInputStream gzip = GzipCompressorInputStream.builder()
                    .setInputStream(metered)
                    .setDecompressConcatenated(true)
                    .get();
            return new TarArchiveInputStream(gzip, StandardCharsets.UTF_8.name());
        } catch (IOException e) {
            metered.rethrowIfTooLarge();
            throw invalid("the bundle is not gzip-compressed; upload the crew folder as a tar.gz archive");
        }
    }

    private static TarArchiveEntry next(TarArchiveInputStream tar) {
        try {
            return tar.getNextEntry();
        } catch (IOException | RuntimeException e) {
            throw unreadable(e);
        }
    }

    private void add(TarArchiveEntry entry, InputStream content) {
        if (++entries > limits.maxEntries()) {
            throw invalid("the bundle has more than " + limits.maxEntries() + " entries (files, folders and links)");
        }
        String name = relativeName(entry.getName());
        if (name.isEmpty()) {
            return; // the archive's own root ("./")
        }
        rejectArtifacts(name, entry);
        Path path = root.resolve(name).normalize();
        if (!path.startsWith(root) || path.equals(root)) {
            throw invalid("entry " + quote(entry.getName()) + " lies outside the bundle");
        }
        if (entry.isSymbolicLink()) {
            claim(name);
            links.add(new Link(name, path, linkTarget(name, path, entry.getLinkName())));
        } else if (entry.isLink()) {
            throw invalid("entry " + quote(name) + " is a hard link; hard links are not supported, copy the file instead");
        } else if (entry.isCharacterDevice() || entry.isBlockDevice()) {
            throw invalid("entry " + quote(name) + " is a device; bundles may only hold files, folders and links");
        } else if (entry.isFIFO()) {
            throw invalid("entry " + quote(name) + " is a FIFO; bundles may only hold files, folders and links");
        } else if (entry.isSparse()) {
            throw invalid("entry " + quote(name) + " is a sparse file; create the archive without --sparse");
        } else if (entry.isDirectory()) {
            folder(name, path);
        } else if (entry.isFile()) {
            claim(name);
            file(name, path, entry, content);
        } else {
            throw invalid("entry " + quote(name) + " has an unsupported type; bundles may only hold files, folders and links");
        }
    }

    /** The entry's path inside the bundle with {@code ./} and trailing slashes removed; "" for the root. */
    private static String relativeName(String raw) {
        if (raw.indexOf('\0') >= 0) {
            throw invalid("an entry name contains a NUL character");
        }
        if (raw.indexOf(NOT_UTF8) >= 0) {
            throw invalid("entry " + quote(raw) + " has a name that is not valid UTF-8 (or contains U+FFFD, which such bytes read as); name the files in UTF-8");
        }
        if (raw.getBytes(StandardCharsets.UTF_8).length > MAX_PATH_BYTES) {
            throw invalid("an entry path is longer than " + MAX_PATH_BYTES + " bytes");
        }
        if (raw.startsWith("/")) {
            throw invalid("entry " + quote(raw) + " has an absolute path; archive the folder's contents with relative paths");
        }
        List<String> segments = new ArrayList<>();
        for (String segment : raw.split("/")) {
            if (segment.equals("..")) {
                throw invalid("entry " + quote(raw) + " contains \"..\"; bundles may not reach outside their folder");
            }
            if (segment.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
                throw invalid("entry " + quote(raw) + " has a name longer than " + MAX_NAME_BYTES + " bytes");
            }
            if (!segment.isEmpty() && !segment.equals(".")) {
                segments.add(segment);
            }
        }
        return String.join("/", segments);
    }

    private static void rejectArtifacts(String name, TarArchiveEntry entry) {
        boolean emptyFolder = name.equals(ARTIFACTS) && entry.isDirectory();
        if (!emptyFolder && (name.equals(ARTIFACTS) || name.startsWith(ARTIFACTS + "/"))) {
            throw invalid("the bundle contains " + quote(name) + ": " + ARTIFACTS + "/ is where runs write their artifacts"
                    + " (/app/artifacts), so a deployment may not bring one; leave it out of the upload");
        }
    }

    private void claim(String name) {
        if (!claimed.add(name)) {
            throw invalid("entry " + quote(name) + " appears twice in the bundle");
        }
    }

    /** A link's target: relative, and leading to a place inside the bundle when read as text. */
    private String linkTarget(String name, Path path, String target) {
        if (target == null || target.isEmpty() || target.indexOf('\0') >= 0) {
            throw invalid("link " + quote(name) + " has no valid target");
        }
        if (target.indexOf(NOT_UTF8) >= 0) {
            throw invalid("link " + quote(name) + " has a target that is not valid UTF-8");
        }
        if (target.startsWith("/")) {
            throw invalid("link " + quote(name) + " points to the absolute path " + quote(target) + "; links must stay inside the bundle");
        }
        if (!path.getParent().resolve(target).normalize().startsWith(root)) {
            throw invalid("link " + quote(name) + " points to " + quote(target) + ", outside the bundle");
        }
        return target;
    }

    private void folder(String name, Path path) {
        if (claimed.contains(name)) {
            throw invalid("entry " + quote(name) + " is both a folder and a file or link");
        }
        createFolders(name, path);
    }

    private void file(String name, Path path, TarArchiveEntry entry, InputStream content) {
        if (entry.getSize() > limits.maxExtractedBytes() - extractedBytes) {
            throw tooBigExtracted();
        }
        createFolders(name, path.getParent());
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            throw invalid("entry " + quote(name) + " is both a folder and a file");
        }
        byte[] buffer = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            int read;
            while ((read = read(content, buffer)) != -1) {
                extractedBytes += read;
                if (extractedBytes > limits.maxExtractedBytes()) {
                    throw tooBigExtracted();
                }
                out.write(buffer, 0, read);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + path, e);
        }
        boolean executable = (entry.getMode() & 0111) != 0;
        setPermissions(path, executable ? EXECUTABLE : FILE);
    }

    private static int read(InputStream content, byte[] buffer) {
        try {
            return content.read(buffer);
        } catch (IOException | RuntimeException e) {
            throw unreadable(e);
        }
    }

    /** Creates {@code path} and its parents inside the bundle; a file in the way is the bundle's fault. */
    private void createFolders(String name, Path path) {
        for (Path folder = root; !folder.equals(path); ) {
            folder = folder.resolve(path.getName(folder.getNameCount()));
            if (Files.isDirectory(folder, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            if (Files.exists(folder, LinkOption.NOFOLLOW_LINKS) || claimed.contains(root.relativize(folder).toString())) {
                throw invalid("entry " + quote(name) + " needs the folder " + quote(root.relativize(folder).toString())
                        + ", but that is a file or link in the bundle");
            }
            try {
                Files.createDirectory(folder);
            } catch (IOException e) {
                throw new UncheckedIOException("could not create " + folder, e);
            }
        }
    }

    private void createLinks() {
        for (Link link : links) {
            if (Files.exists(link.path(), LinkOption.NOFOLLOW_LINKS)) {
                throw invalid("link " + quote(link.name()) + " is also a folder in the bundle");
            }
            createFolders(link.name(), link.path().getParent());
            try {
                Files.createSymbolicLink(link.path(), Path.of(link.target()));
            } catch (IOException e) {
                throw new UncheckedIOException("could not create the link " + link.path(), e);
            }
        }
        Path realRoot = realPath(root);
        for (Link link : links) {
            // A link to something missing leads nowhere; one that resolves must resolve inside.
            if (Files.exists(link.path()) && !realPath(link.path()).startsWith(realRoot)) {
                throw invalid("link " + quote(link.name()) + " leads outside the bundle (through other links)");
            }
        }
    }

    /** Gives every folder 0755 and adds the empty artifacts folder. */
    private void finishFolders() {
        Path artifacts = root.resolve(ARTIFACTS);
        try {
            if (!Files.isDirectory(artifacts, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectory(artifacts);
            }
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) {
                    setPermissions(dir, FOLDER);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("could not prepare the folders of " + root, e);
        }
    }

    private static void drain(MeteredInput metered) {
        // Whatever follows the archive's end still counts towards the upload's size and checksum.
        try {
            metered.transferTo(OutputStream.nullOutputStream());
        } catch (IOException e) {
            metered.rethrowIfTooLarge();
            throw unreadable(e);
        }
    }

    private static Path realPath(Path path) {
        try {
            return path.toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException("could not resolve " + path, e);
        }
    }

    private static void setPermissions(Path path, Set<PosixFilePermission> permissions) {
        try {
            Files.setPosixFilePermissions(path, permissions);
        } catch (IOException e) {
            throw new UncheckedIOException("could not set the permissions of " + path, e);
        }
    }

    private CrewshipException tooBigExtracted() {
        return invalid("the bundle extracts to more than " + limits.maxExtractedBytes() + " bytes");
    }

    private static CrewshipException unreadable(Exception e) {
        if (e instanceof BundleTooLarge tooLarge) {
            return tooLarge.problem;
        }
        if (e.getCause() instanceof BundleTooLarge tooLarge) {
            return tooLarge.problem;
        }
        return invalid("the bundle is not a valid tar.gz archive (" + (e.getMessage() == null ? "unreadable data" : e.getMessage()) + ")");
    }

    private static CrewshipException invalid(String detail) {
        return new CrewshipException(ProblemType.INVALID_BUNDLE, detail);
    }

    private static String quote(String name) {
        return "\"" + name + "\"";
    }

    /** Raised by {@link MeteredInput} past the compressed size limit, through the decompressor. */
    private static final class BundleTooLarge extends IOException {
        private final CrewshipException problem;

        BundleTooLarge(long limit) {
            super("the bundle is larger than " + limit + " bytes");
            this.problem = CrewshipException.tooLarge("the bundle is larger than " + limit + " bytes (compressed);"
                    + " leave build output, virtualenvs and data out of it ([build] exclude in crewship.toml)");
        }
    }

    /** Counts and hashes the raw upload and stops reading past the compressed size limit. */
    private static final class MeteredInput extends FilterInputStream {
        private final long limit;
        private final MessageDigest digest;
        private long count;
        private boolean tooLarge;

        MeteredInput(InputStream in, long limit) {
            super(in);
            this.limit = limit;
            try {
                this.digest = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("SHA-256 is missing from this JVM", e);
            }
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int read = super.read(buffer, offset, length);
            if (read > 0) {
                count += read;
                if (count > limit) {
                    tooLarge = true;
                    throw new BundleTooLarge(limit);
                }
                digest.update(buffer, offset, read);
            }
            return read;
        }

        /** No mark/reset: bytes read twice would be counted and hashed twice. */
        @Override
        public boolean markSupported() {
            return false;
        }

        @Override
        public long skip(long n) throws IOException {
            byte[] buffer = new byte[(int) Math.min(n, 8192)];
            int read = read(buffer, 0, buffer.length);
            return Math.max(read, 0);
        }

        long count() {
            return count;
        }

        String sha256() {
            return HexFormat.of().formatHex(digest.digest());
        }

        void rethrowIfTooLarge() {
            if (tooLarge) {
                throw new BundleTooLarge(limit).problem;
            }
        }
    }
}

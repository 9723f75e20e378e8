package dev.crewship.cli.deploy;

import dev.crewship.cli.CliException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Packs a crew folder into the tar.gz a deployment is uploaded as. Entries are relative paths in
 * name order (so the same folder packs the same way), folders included, executable bits kept,
 * symbolic links stored as links (never followed: the server rejects those pointing outside).
 * Sockets, pipes and devices are left out.
 */
public final class BundlePacker {
    private BundlePacker() {
    }

    /** Writes the bundle of {@code crewFolder} to {@code target}. */
    public static Bundle pack(Path crewFolder, List<String> buildExclude, Path target) {
        IgnoreRules rules = new IgnoreRules();
        rules.add(buildExclude, "");
        Walk walk = new Walk(rules);
        try (OutputStream file = Files.newOutputStream(target);
             TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(new BufferedOutputStream(file), 64 * 1024))) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            walk.folder(crewFolder, "", tar);
            tar.finish();
        } catch (IOException e) {
            throw new CliException("cannot pack " + crewFolder + ": " + e.getMessage(), e);
        }
        try {
            return new Bundle(target, Files.size(target), walk.files, walk.bytes, List.copyOf(walk.excluded));
        } catch (IOException e) {
            throw new CliException("cannot read " + target + ": " + e.getMessage(), e);
        }
    }

    /**
     * @param compressedBytes size of the tar.gz
     * @param files           regular files and links packed
     * @param bytes           their size before compression
     * @param excluded        paths left out (a left-out folder counts once, not its content)
     */
    public record Bundle(Path file, long compressedBytes, int files, long bytes, List<String> excluded) {
    }

    private static final class Walk {
        private final IgnoreRules rules;
        private final List<String> excluded = new ArrayList<>();
        private int files;
        private long bytes;

        Walk(IgnoreRules rules) {
            this.rules = rules;
        }

        void folder(Path folder, String relative, TarArchiveOutputStream tar) throws IOException {
            for (String ignoreFile : IgnoreRules.IGNORE_FILES) {
                Path patterns = folder.resolve(ignoreFile);
                if (Files.isRegularFile(patterns, LinkOption.NOFOLLOW_LINKS)) {
                    rules.add(Files.readAllLines(patterns), relative);
                }
            }
            List<Path> children;
            try (Stream<Path> listing = Files.list(folder)) {
                children = listing.sorted().toList();
            }
            for (Path child : children) {
                String path = relative.isEmpty() ? child.getFileName().toString() : relative + "/" + child.getFileName();
                BasicFileAttributes attributes = Files.readAttributes(child, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                // The server needs crewship.toml at the root whatever the patterns say.
                boolean required = path.equals(CrewToml.FILE_NAME);
                if (!required && rules.excludes(path, attributes.isDirectory())) {
                    excluded.add(attributes.isDirectory() ? path + "/" : path);
                } else if (attributes.isSymbolicLink()) {
                    TarArchiveEntry entry = new TarArchiveEntry(path, TarConstants.LF_SYMLINK);
                    entry.setLinkName(Files.readSymbolicLink(child).toString());
                    entry.setModTime(attributes.lastModifiedTime());
                    tar.putArchiveEntry(entry);
                    tar.closeArchiveEntry();
                    files++;
                } else if (attributes.isDirectory()) {
                    TarArchiveEntry entry = new TarArchiveEntry(path + "/");
                    entry.setMode(TarArchiveEntry.DEFAULT_DIR_MODE);
                    entry.setModTime(attributes.lastModifiedTime());
                    tar.putArchiveEntry(entry);
                    tar.closeArchiveEntry();
                    folder(child, path, tar);
                } else if (attributes.isRegularFile()) {
                    TarArchiveEntry entry = new TarArchiveEntry(path);
                    entry.setSize(attributes.size());
                    entry.setMode(executable(child) ? 0100755 : 0100644);
                    entry.setModTime(attributes.lastModifiedTime());
                    tar.putArchiveEntry(entry);
                    Files.copy(child, tar);
                    tar.closeArchiveEntry();
                    files++;
                    bytes += attributes.size();
                } else {
                    excluded.add(path);
                }
            }
        }

        private static boolean executable(Path file) throws IOException {
            try {
                Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
                return permissions.contains(PosixFilePermission.OWNER_EXECUTE);
            } catch (UnsupportedOperationException e) {
                return false;
            }
        }
    }
}

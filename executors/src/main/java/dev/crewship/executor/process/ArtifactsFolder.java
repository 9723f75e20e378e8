package dev.crewship.executor.process;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The per-run artifacts folder changes hands twice: before the run it is given to the run's uid
 * (nobody else may read it), after the run the server takes it back. Taking it back also removes
 * symbolic links and special files the crew left there, so whoever collects the artifacts (as the
 * server, often root) can never be led to a host file through a link the crew made.
 */
final class ArtifactsFolder {
    private ArtifactsFolder() {
    }

    static void handOver(Path dir, int uid) throws IOException {
        Files.setAttribute(dir, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(dir, "unix:gid", uid, LinkOption.NOFOLLOW_LINKS);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }

    /**
     * Gives every folder and regular file back to {@code owner} (when {@code chown}), private to it,
     * and deletes everything else. Walks with its own stack: the crew decides how deep the tree is.
     */
    static void takeBack(Path dir, HostUser owner, boolean chown) throws IOException {
        Deque<Path> folders = new ArrayDeque<>();
        folders.push(dir);
        while (!folders.isEmpty()) {
            Path folder = folders.pop();
            own(folder, owner, chown, "rwx------");
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder)) {
                for (Path entry : entries) {
                    BasicFileAttributes attributes = Files.readAttributes(entry, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                    if (attributes.isDirectory()) {
                        folders.push(entry);
                    } else if (attributes.isRegularFile()) {
                        own(entry, owner, chown, "rw-------");
                    } else {
                        Files.delete(entry);
                    }
                }
            }
        }
    }

    private static void own(Path path, HostUser owner, boolean chown, String permissions) throws IOException {
        if (chown) {
            Files.setAttribute(path, "unix:uid", owner.uid(), LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(path, "unix:gid", owner.gid(), LinkOption.NOFOLLOW_LINKS);
        }
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(permissions));
    }
}

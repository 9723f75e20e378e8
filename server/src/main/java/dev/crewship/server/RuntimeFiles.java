package dev.crewship.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The Python runtime ({@code crewship_runtime}, runtime/python in the repository) ships inside the
 * server's jar under {@value #RESOURCE_ROOT}; on every start it is extracted afresh into
 * {@code DataDir.runtime()}, which sandboxes mount read-only at {@code /opt/crewship}. The new copy
 * is prepared beside the old one and swapped in, so the folder is never half written.
 */
final class RuntimeFiles {
    static final String RESOURCE_ROOT = "/crewship-runtime";
    static final String PACKAGE = "crewship_runtime";

    private RuntimeFiles() {
    }

    /** Extracts the runtime into {@code target} (replacing what is there) and returns it. */
    static Path extract(Path target) {
        URL marker = RuntimeFiles.class.getResource(RESOURCE_ROOT + "/" + PACKAGE + "/__init__.py");
        if (marker == null) {
            throw new ServerStartException("this build of Crewship does not contain the Python runtime (" + PACKAGE
                    + "); build it again with scripts/build.sh");
        }
        Path parent = target.toAbsolutePath().getParent();
        String name = target.getFileName().toString();
        try {
            removeLeftovers(parent, name);
            Path staging = parent.resolve("." + name + "-new-" + UUID.randomUUID());
            withResourceRoot(root -> copyTree(root, staging));
            makeReadable(staging);
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                Path old = parent.resolve("." + name + "-old-" + UUID.randomUUID());
                Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
                deleteTree(old);
            } else {
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract the Python runtime into " + target, e);
        }
    }

    private interface ResourceTask {
        void run(Path root) throws IOException;
    }

    /** Runs {@code task} on the resource folder, whether the classes come from a jar or a folder (tests). */
    private static void withResourceRoot(ResourceTask task) throws IOException {
        URI uri;
        try {
            uri = RuntimeFiles.class.getResource(RESOURCE_ROOT + "/" + PACKAGE).toURI();
        } catch (URISyntaxException e) {
            throw new IllegalStateException("the runtime's resource address is malformed", e);
        }
        if (!uri.getScheme().equals("jar")) {
            task.run(Path.of(uri).getParent());
            return;
        }
        FileSystem jar;
        boolean opened = false;
        try {
            jar = FileSystems.newFileSystem(uri, Map.of());
            opened = true;
        } catch (FileSystemAlreadyExistsException e) {
            jar = FileSystems.getFileSystem(uri);
        }
        try {
            task.run(jar.getPath(RESOURCE_ROOT));
        } finally {
            if (opened) {
                jar.close();
            }
        }
    }

    private static void copyTree(Path root, Path staging) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path source : paths.sorted().toList()) {
                Path relative = root.relativize(source);
                Path destination = staging;
                for (Path part : relative) {
                    destination = destination.resolve(part.toString());
                }
                if (Files.isDirectory(source)) {
                    Files.createDirectories(destination);
                } else if (source.getFileName().toString().endsWith(".py")) {
                    Files.copy(source, destination);
                }
            }
        }
    }

    /** Sandboxes run as other uids: everything readable, nothing writable but by the server. */
    private static void makeReadable(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.toList()) {
                Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(Files.isDirectory(path) ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
    }

    /** Removes copies a crash left behind while swapping. */
    private static void removeLeftovers(Path parent, String name) throws IOException {
        if (!Files.isDirectory(parent)) {
            return;
        }
        try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(parent, "." + name + "-{new,old}-*")) {
            for (Path leftover : leftovers) {
                deleteTree(leftover);
            }
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}

package dev.crewship.run;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A run's scratch folder on this host ({@code DataDir.runScratch}): it exists only while the run
 * executes and holds the run's {@code artifacts/} folder until the artifacts are collected.
 */
final class RunScratch {
    private static final Logger log = LoggerFactory.getLogger(RunScratch.class);

    private RunScratch() {
    }

    static Path artifactsDir(Path scratch) {
        return scratch.resolve("artifacts");
    }

    /** Creates a fresh, empty scratch folder (removing anything a crash left) and returns its artifacts folder. */
    static Path prepare(Path scratch) throws IOException {
        deleteTree(scratch);
        Path artifacts = Files.createDirectories(artifactsDir(scratch));
        // Sandboxes pass through the folder of all runs (warm parents have it mounted) but may not list it:
        // which runs exist is nobody else's business.
        Files.setPosixFilePermissions(scratch.getParent(), java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
        return artifacts;
    }

    /** Removes the folder; failures are logged, not thrown: the artifacts are already stored. */
    static void delete(Path scratch) {
        try {
            deleteTree(scratch);
        } catch (IOException e) {
            log.warn("could not delete the scratch folder {}: {}", scratch, e.toString());
        }
    }

    /** Deletes a tree without following links: a link a crew left is removed, never what it points to. */
    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw e;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null && !(e instanceof NoSuchFileException)) {
                    throw e;
                }
                Files.deleteIfExists(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}

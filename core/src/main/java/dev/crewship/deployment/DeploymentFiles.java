package dev.crewship.deployment;

import dev.crewship.common.DataDir;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A deployment's files in the data dir: its extracted source ({@link DataDir#deploymentSource})
 * and a marker recording that its build reused an existing environment.
 *
 * <p>Folders on the way to a source are 0711: sandboxes (other uids) must pass through them to
 * reach the source they mount, but may not list which deployments exist.
 */
public final class DeploymentFiles {
    private static final String ENVIRONMENT_REUSED = "environment-reused";

    private final DataDir dataDir;

    public DeploymentFiles(DataDir dataDir) {
        this.dataDir = dataDir;
    }

    /** A new, empty, private folder for extracting one upload. */
    public Path newStagingFolder() {
        try {
            Path staging = createTraversable(dataDir.deploymentStaging());
            Path folder = staging.resolve(UUID.randomUUID().toString());
            Files.createDirectory(folder, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            return folder;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a staging folder under " + dataDir.deploymentStaging(), e);
        }
    }

    /** Moves an extracted, checked source into place as the deployment's source, atomically. */
    public Path install(Path extracted, String deploymentId) {
        Path source = dataDir.deploymentSource(deploymentId);
        try {
            createTraversable(source.getParent());
            Files.move(extracted, source, StandardCopyOption.ATOMIC_MOVE);
            return source;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot move the source of " + deploymentId + " into place", e);
        }
    }

    public Path source(String deploymentId) {
        return dataDir.deploymentSource(deploymentId);
    }

    /** Notes that the deployment's build found its environment already built. */
    public void markEnvironmentReused(String deploymentId) {
        try {
            Files.createFile(dataDir.deploymentSource(deploymentId).resolveSibling(ENVIRONMENT_REUSED));
        } catch (FileAlreadyExistsException e) {
            // Already noted.
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record the environment reuse of " + deploymentId, e);
        }
    }

    public boolean environmentReused(String deploymentId) {
        return Files.exists(dataDir.deploymentSource(deploymentId).resolveSibling(ENVIRONMENT_REUSED), LinkOption.NOFOLLOW_LINKS);
    }

    /** Removes everything of a deployment (its project was deleted). */
    public void delete(String deploymentId) {
        deleteTree(dataDir.deploymentSource(deploymentId).getParent());
    }

    /** Removes one staging folder (the upload was rejected or could not be stored). */
    public void deleteStaging(Path folder) {
        deleteTree(folder);
    }

    /** Removes staging folders a previous server process left behind (it stopped mid-upload). */
    public void removeStaleStaging() {
        deleteTree(dataDir.deploymentStaging());
    }

    private static Path createTraversable(Path folder) throws IOException {
        Path parent = folder.getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            createTraversable(parent);
        }
        if (!Files.isDirectory(folder)) {
            try {
                Files.createDirectory(folder, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
            } catch (FileAlreadyExistsException e) {
                // Created concurrently by another upload.
            }
            // The umask may have removed bits the sandboxes need.
            Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwx--x--x"));
        }
        return folder;
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + root, e);
        }
    }
}
